"""Training stories with their names swapped: each mention, at a rate, replaced by another training mention of its
type (mention replacement, Dai & Adel 2020).

A parser that met "Leicester" only in county-cricket stories types it by its name; real text names what AIDA never
saw. Read again with names drawn from other stories, every context has to carry the type itself. A swapped mention
takes no linking loss (`is_annotated` False): its entity belongs to another story, whose link counts the held-out
priors of this one do not remove. Which mentions, and which names: a pure function of the seed and the story.
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
    at least one is; ids get " swapped" (the number, which candidate protocols read, stays)."""
    names = mention_names(documents)
    copies = []
    for document in documents:
        rng = random.Random(f"{seed}:{document.id}")
        sentences = tuple(_swapped(sentence, names, rate, rng) for sentence in document.sentences)
        if sentences != document.sentences:
            copies.append(Document(f"{document.id} swapped", document.split, sentences))
    return copies


def _swapped(sentence: Sentence, names: Names, rate: float, rng: random.Random) -> Sentence:
    tokens: list[str] = []
    spans: list[Span] = []
    done = 0
    for span in sorted(sentence.spans, key=lambda span: span.start):
        tokens += sentence.tokens[done : span.start]
        name = sentence.tokens[span.start : span.end]
        choices = names[span.label]
        if len(choices) > 1 and rng.random() < rate:
            pick = rng.randrange(len(choices) - 1)  # any name of the type but this one
            other = choices[pick] if choices[pick] != name else choices[-1]
            start = len(tokens)
            tokens += other
            spans.append(Span(start, len(tokens), span.label, None, is_annotated=False))
            done = span.end
            continue
        shift = len(tokens) - span.start
        tokens += name
        spans.append(Span(span.start + shift, span.end + shift, span.label, span.entity, span.is_annotated))
        done = span.end
    tokens += sentence.tokens[done:]
    return Sentence(tuple(tokens), tuple(spans))
