"""Training stories with their names swapped: each mention, at a rate, replaced by another training mention of its
type (mention replacement, Dai & Adel 2020).

A parser that met "Leicester" only in county-cricket stories types it by its name; real text names what AIDA never
saw. Read again with names drawn from other stories, every context has to carry the type itself. The copies teach
the parser only: none of their mentions is annotated for linking (`is_annotated` False). A swapped name's entity
belongs to another story, and the copy's other mentions are the story's own, which linking learned from once
already (with them, the fast model's EL F1 on testa fell by 0.5). Which mentions, and which names: a pure function
of the seed and the story.

With `wikipedia_names`, persons and places may also take the names of persons and places that the Wikipedia KB
knows from Wikipedia alone (none of AIDA's documents, test splits included, names them): names of every
year and country, where AIDA's are those of 1996's news. Their types are guessed from titles (`jointel.kb.types`),
reliably for persons and places but not for organisations ("Timeline_of_Openbsd"), which keep AIDA's names.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from jointel.data.documents import Document, Sentence, Span
from jointel.kb.lookup import KB

Names = dict[str, list[tuple[str, ...]]]  # label → the distinct names of that type, in order of first use
MAX_NAME_WORDS = 4
# words a name may hold in lower case: a title of other lower-case words is no name ("Fixed_effects_estimation")
NAME_PARTICLES = frozenset({"of", "the", "and", "de", "del", "da", "di", "du", "la", "le", "von", "van", "der", "y"})


def mention_names(documents: Sequence[Document]) -> Names:
    """Every distinct mention of `documents` by label: the names swapping draws from."""
    names: dict[str, dict[tuple[str, ...], None]] = {}
    for document in documents:
        for sentence in document.sentences:
            for span in sentence.spans:
                names.setdefault(span.label, {})[sentence.tokens[span.start : span.end]] = None
    return {label: list(found) for label, found in names.items()}


def wikipedia_names(kb: KB, per_type: int) -> Names:
    """`per_type` names (at most) of persons and of places (as LOC) that `kb` knows by name alone, drawn from their
    titles without qualifiers ("Irvington,_New_York" → "Irvington"): capitalised words (`NAME_PARTICLES` aside), up
    to `MAX_NAME_WORDS` of them. The guessed types hold where the title says much: a place is one whose title has a
    ", region" qualifier (single words typed GPE include "Hernia"), a person one of two words or more. The names
    are a fixed sample of all such titles."""
    places = (_title_name(title) for title in kb.name_only_titles("GPE") if ",_" in title)
    persons = (_title_name(title) for title in kb.name_only_titles("PER"))
    return {
        "LOC": _sample([name for name in places if _is_name(name)], per_type),
        "PER": _sample([name for name in persons if _is_name(name) and len(name) > 1], per_type),
    }


def _sample(names: list[tuple[str, ...]], n: int) -> list[tuple[str, ...]]:
    distinct = list(dict.fromkeys(names))
    return random.Random(0).sample(distinct, min(n, len(distinct)))


def _title_name(title: str) -> tuple[str, ...]:
    stem = title.split(",_", 1)[0].split("_(", 1)[0]
    return tuple(word for word in stem.split("_") if word)


def _is_name(words: tuple[str, ...]) -> bool:
    return (
        0 < len(words) <= MAX_NAME_WORDS
        and words[0][:1].isupper()
        and all(word[:1].isupper() or word in NAME_PARTICLES for word in words)
    )


def swapped_documents(
    documents: Sequence[Document], rate: float, seed: int, more_names: Names | None = None
) -> list[Document]:
    """A copy of each document in which some names are swapped (`rate` of its mentions on average), for those where
    at least one is, with no mention annotated for linking; ids get " swapped" (the number, which candidate
    protocols read, stays). Names come from the documents' mentions and `more_names`."""
    names = mention_names(documents)
    for label, extra in (more_names or {}).items():
        names[label] = list(dict.fromkeys([*names.get(label, []), *extra]))
    copies = []
    for document in documents:
        rng = random.Random(f"{seed}:{document.id}")
        swapped = [_swapped(sentence, names, rate, rng) for sentence in document.sentences]
        if any(swaps for _, swaps in swapped):
            copies.append(Document(f"{document.id} swapped", document.split, tuple(s for s, _ in swapped)))
    return copies


def _swapped(sentence: Sentence, names: Names, rate: float, rng: random.Random) -> tuple[Sentence, int]:
    """The sentence with some names swapped, every mention unannotated for linking, and how many were swapped."""
    tokens: list[str] = []
    spans: list[Span] = []
    done = swaps = 0
    for span in sorted(sentence.spans, key=lambda span: span.start):
        tokens += sentence.tokens[done : span.start]
        name = sentence.tokens[span.start : span.end]
        choices = names[span.label]
        if len(choices) > 1 and rng.random() < rate:
            pick = rng.randrange(len(choices) - 1)  # any name of the type but this one
            name = choices[pick] if choices[pick] != name else choices[-1]
            swaps += 1
        start = len(tokens)
        tokens += name
        spans.append(Span(start, len(tokens), span.label, None, is_annotated=False))
        done = span.end
    tokens += sentence.tokens[done:]
    return Sentence(tuple(tokens), tuple(spans)), swaps
