"""Plain data for a corpus: documents made of sentences, sentences made of tokens and gold spans.

Token indices are sentence-local: `Span(start, end)` covers `sentence.tokens[start:end]`. Character offsets
exist only in user-facing results (`jointel.annotate`), never here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LABELS = ("PER", "LOC", "ORG", "MISC")
SPLITS = ("train", "testa", "testb")


@dataclass(frozen=True)
class Span:
    """A mention: tokens `[start, end)` of a sentence with an NER label and, for EL, a KB entity.

    `entity` is a Wikipedia title (`"United_Kingdom"`) or None for NIL. `is_annotated` is False for a span that
    no EL annotation covers (none in CoNLL+AIDA; possible in user data): neither linked nor NIL, EL scorers
    ignore it.
    """

    start: int
    end: int
    label: str
    entity: str | None = None
    is_annotated: bool = True

    @property
    def is_nil(self) -> bool:
        return self.is_annotated and self.entity is None


@dataclass(frozen=True)
class Sentence:
    tokens: tuple[str, ...]
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Document:
    """One news story. `id` is the AIDA document id, e.g. `"947testa CRICKET"`; `split` is train|testa|testb."""

    id: str
    split: str
    sentences: tuple[Sentence, ...]

    @property
    def number(self) -> int:
        """AIDA document number (1..1393), the key of the PPRforNED candidate files."""
        digits = ""
        for char in self.id:
            if not char.isdigit():
                break
            digits += char
        return int(digits) if digits else 0

    @property
    def n_tokens(self) -> int:
        return sum(len(sentence.tokens) for sentence in self.sentences)


@dataclass
class AlignmentReport:
    """What did not line up when AIDA links were merged onto CoNLL documents: counted, never dropped silently."""

    documents: int = 0
    aida_mentions: int = 0
    aida_linked: int = 0
    token_mismatches: int = 0
    document_mismatches: list[str] = field(default_factory=list)
    aida_mentions_without_conll_span: int = 0
    aida_mentions_split_by_sentence_break: int = 0
    conll_spans_without_aida_mention: int = 0

    @property
    def aida_nil(self) -> int:
        return self.aida_mentions - self.aida_linked

    @property
    def is_clean(self) -> bool:
        return self.token_mismatches == 0 and self.aida_mentions_without_conll_span == 0


class DataFormatError(ValueError):
    """A data file is not in the expected format; the message names the file, the line and the problem."""

    def __init__(self, path: Path | str, line: int, problem: str):
        self.path = Path(path)
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")
