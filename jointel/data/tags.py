"""Conversion between token tags (IOB1, BIO) and spans, with conlleval's chunk rules.

conlleval starts a chunk at `B-X`, at `I-X` after `O`, and at `I-X` after a token of another type; that one
rule reads IOB1 and BIO alike. `scheme="bio"` is the strict reading used to validate BIO files: there an
`I-X` must follow `B-X` or `I-X`.
"""

from __future__ import annotations

from collections.abc import Sequence

from jointel.data.documents import LABELS, Span


class TagError(ValueError):
    """A tag sequence that cannot be read; `index` is the offending token."""

    def __init__(self, index: int, problem: str):
        self.index = index
        super().__init__(problem)


def split_tag(tag: str, labels: Sequence[str] = LABELS) -> tuple[str, str | None]:
    """`"I-PER"` → `("I", "PER")`; `"O"` → `("O", None)`. Raises TagError on anything else."""
    if tag == "O":
        return "O", None
    prefix, _, label = tag.partition("-")
    if prefix not in ("B", "I") or label not in labels:
        raise TagError(0, f"unknown tag {tag!r}: expected O or B-/I- followed by one of {', '.join(labels)}")
    return prefix, label


def tags_to_spans(tags: Sequence[str], scheme: str = "iob1", labels: Sequence[str] = LABELS) -> list[Span]:
    """Spans of a tag sequence, chunked as conlleval does (`scheme="bio"` also rejects I- after O)."""
    spans: list[Span] = []
    start, current = 0, None
    for i, tag in enumerate(tags):
        try:
            prefix, label = split_tag(tag, labels)
        except TagError as error:
            raise TagError(i, str(error)) from None
        begins = prefix == "B" or (prefix == "I" and label != current)
        if scheme == "bio" and prefix == "I" and label != current:
            raise TagError(i, f"{tag} after {'O' if current is None else 'a ' + current + ' token'} is not valid BIO")
        if current is not None and (prefix == "O" or begins):
            spans.append(Span(start, i, current))
            current = None
        if begins:
            start, current = i, label
    if current is not None:
        spans.append(Span(start, len(tags), current))
    return spans


def spans_to_tags(n_tokens: int, spans: Sequence[Span], scheme: str = "bio") -> list[str]:
    """Tags for `spans` over `n_tokens` tokens; IOB1 uses B- only between adjacent spans of one type."""
    tags = ["O"] * n_tokens
    previous_end, previous_label = -1, None
    for span in sorted(spans, key=lambda span: span.start):
        adjacent_same = span.start == previous_end and span.label == previous_label
        first = "B" if scheme == "bio" or adjacent_same else "I"
        tags[span.start] = f"{first}-{span.label}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label}"
        previous_end, previous_label = span.end, span.label
    return tags
