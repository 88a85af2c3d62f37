"""The floor and ceilings the KB sets for entity linking, measured on gold mentions.

Candidate recall@K is a ceiling: a linker that ranks the KB's top-K candidates cannot link a mention whose gold
entity is not among them. The prior baseline (link every gold mention to its top candidate) is the floor a
learned linker must beat. Both count gold LINKED mentions only (InKB, `span.entity is not None`), as the EL
scores of the paper do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from jointel.data import Document
from jointel.kb.lookup import KB, Candidate
from jointel.kb.prior import surface
from jointel.kb.protocols import CandidateProtocol, candidate_protocol

DEFAULT_KS: tuple[int | None, ...] = (1, 5, 10, 30, None)


@dataclass(frozen=True)
class GoldMention:
    doc: int  # AIDA document number
    surface: str
    entity: str


@dataclass(frozen=True)
class RecallReport:
    mentions: int  # gold linked mentions
    recall: dict[int | None, float]  # K → fraction whose gold entity is among the top K (None = all candidates)
    mean_candidates: float  # candidates per mention at the largest K


@dataclass(frozen=True)
class BaselineScore:
    mentions: int
    correct: int
    without_candidates: int  # mentions the KB offers nothing for: counted wrong (predicting NIL)

    @property
    def accuracy(self) -> float:
        return self.correct / self.mentions if self.mentions else 0.0


def gold_mentions(documents: Iterable[Document]) -> Iterator[GoldMention]:
    """Every gold linked mention with its document number and surface text."""
    for document in documents:
        for sentence in document.sentences:
            for span in sentence.spans:
                if span.entity is not None:
                    yield GoldMention(document.number, surface(sentence.tokens, span.start, span.end), span.entity)


def candidate_lists(
    kb: KB, documents: Iterable[Document], protocol: str, k: int | None
) -> Iterator[tuple[GoldMention, list[Candidate]]]:
    """Each gold linked mention with its top-k candidates under the protocol called `protocol` (`protocols.py`)."""
    candidates = candidate_protocol(protocol, kb, k)
    for document in documents:
        yield from _document_lists(candidates, document)


def _document_lists(protocol: CandidateProtocol, document: Document) -> Iterator[tuple[GoldMention, list[Candidate]]]:
    """Candidates of the document's mentions (every span, NIL ones too, as a linker sees them: a protocol may learn
    from the document's earlier mentions), then its linked ones."""
    spans = [(sentence, span) for sentence in document.sentences for span in sentence.spans]
    surfaces = [surface(sentence.tokens, span.start, span.end) for sentence, span in spans]
    lists = protocol.in_document(surfaces, [protocol.candidates(document.number, text) for text in surfaces])
    for (_, span), text, found in zip(spans, surfaces, lists, strict=True):
        if span.entity is not None:
            yield GoldMention(document.number, text, span.entity), found


def candidate_recall(
    kb: KB, documents: Iterable[Document], protocol: str = "realistic", ks: Sequence[int | None] = DEFAULT_KS
) -> RecallReport:
    """Recall@K of the gold entity among the top-K candidates, for each K in `ks`, over gold linked mentions."""
    deepest = None if None in ks else max(ks)
    hits = dict.fromkeys(ks, 0)
    mentions = listed = 0
    for mention, candidates in candidate_lists(kb, documents, protocol, deepest):
        entities = [candidate.entity for candidate in candidates]
        mentions += 1
        listed += len(entities)
        if mention.entity in entities:
            rank = entities.index(mention.entity) + 1
            for k in ks:
                hits[k] += k is None or rank <= k
    recall = {k: hits[k] / mentions if mentions else 0.0 for k in ks}
    return RecallReport(mentions, recall, listed / mentions if mentions else 0.0)


def prior_baseline(kb: KB, documents: Iterable[Document], protocol: str = "realistic") -> BaselineScore:
    """ED accuracy of linking each gold linked mention to its top candidate (equals recall@1 by construction)."""
    mentions = correct = empty = 0
    for mention, top in candidate_lists(kb, documents, protocol, 1):
        mentions += 1
        empty += not top
        correct += bool(top) and top[0].entity == mention.entity
    return BaselineScore(mentions, correct, empty)
