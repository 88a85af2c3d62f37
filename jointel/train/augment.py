"""Training stories with their names swapped: each mention, at a rate, replaced by another training mention of its
type (mention replacement, Dai & Adel 2020).

A parser that met "Leicester" only in county-cricket stories types it by its name; real text names what AIDA never
saw. Read again with names drawn from other stories, every context has to carry the type itself. The copies teach
the parser only: none of their mentions is annotated for linking (`is_annotated` False). A swapped name's entity
belongs to another story, and the copy's other mentions are the story's own, which linking learned from once
already (with them, the fast model's EL F1 on testa fell by 0.5). Which mentions, and which names: a pure function
of the seed and the story.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from jointel.data.documents import Document, Sentence, Span

Names = dict[str, list[tuple[str, ...]]]  # label → the distinct names of that type, in order of first use


def mention_names(documents: Sequence[Document]) -> Names:
    """Every distinct mention of `documents` by label: the names swapping draws from."""
    names: dict[str, dict[tuple[str, ...], None]] = {}
    for document in documents:
        for sentence in document.sentences:
            for span in sentence.spans:
                names.setdefault(span.label, {})[sentence.tokens[span.start : span.end]] = None
    return {label: list(found) for label, found in names.items()}


def swapped_documents(documents: Sequence[Document], rate: float, seed: int) -> list[Document]:
    """A copy of each document in which some names are swapped (`rate` of its mentions on average), for those where
    at least one is, with no mention annotated for linking; ids get " swapped" (the number, which candidate
    protocols read, stays)."""
    names = mention_names(documents)
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
