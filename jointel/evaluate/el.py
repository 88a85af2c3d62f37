"""Entity-linking scores: end-to-end strong annotation match (InKB), disambiguation accuracy, and NIL detection.

Positions are `(sentence index, start, end)` within a document; NER labels play no part in any score here.
A gold *link* is a gold span with `is_annotated` and an entity; a predicted link is a predicted span with an
entity (a predicted span whose entity is None is a predicted NIL mention). Gold spans with `is_annotated=False`
(CoNLL entities that AIDA left unannotated) are neither right nor wrong for any prediction.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from jointel.data.documents import Document, Span
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF, count

Position = tuple[int, int, int]
Link = tuple[int, int, int, str]


@dataclass(frozen=True)
class ELScores:
    """Strong-match EL scores: micro counts pooled over all documents, and GERBIL macro averages over documents."""

    micro: PRF
    macro_precision: float
    macro_recall: float
    macro_f1: float
    n_documents: int


@dataclass(frozen=True)
class EDScores:
    """Disambiguation with gold mentions given: `correct` of `total` gold links."""

    correct: int
    total: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def el_scores(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> ELScores:
    """End-to-end EL, strong annotation match (GERBIL "Ma"), InKB.

    A predicted link is a true positive iff its position and entity equal a gold link; partial overlap never
    counts, and the right span with the wrong entity is one FP plus one FN. InKB (Kolitsas et al. 2018, GERBIL
    InKB): predicted links on the exact position of a gold NIL span or of an unannotated gold span are discarded,
    neither TP nor FP. Micro scores pool the counts of all documents (0.0 when undefined, see `PRF`). Macro
    scores average per-document precision, recall and F1 with GERBIL's rule for a document without true
    positives: 1.0 for all three if it has no gold links and no kept predicted links, else 0.0 for all three.
    Macro F1 is the mean of per-document F1, not the F1 of macro precision and recall; an empty corpus gives 0.0.
    """
    check_parallel(gold_docs, pred_docs)
    per_document = [_link_counts(gold, pred) for gold, pred in zip(gold_docs, pred_docs, strict=True)]
    measures = [_gerbil_measures(counts) for counts in per_document]
    n = len(measures)
    macro = [sum(column) / n for column in zip(*measures, strict=True)] if n else [0.0, 0.0, 0.0]
    return ELScores(
        micro=sum(per_document, PRF()),
        macro_precision=macro[0],
        macro_recall=macro[1],
        macro_f1=macro[2],
        n_documents=n,
    )


def ed_accuracy(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> EDScores:
    """In-KB disambiguation accuracy: a gold link is correct iff a predicted span at its position has its entity.

    Meant for predictions made on the gold mentions; a gold link without a predicted span there is an error.
    """
    check_parallel(gold_docs, pred_docs)
    correct = total = 0
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        gold_links = _gold_links(gold)
        correct += len(gold_links & _pred_links(pred))
        total += len(gold_links)
    return EDScores(correct=correct, total=total)


def nil_scores(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> PRF:
    """NIL detection with NIL as the positive class, by exact position.

    tp: predicted NIL spans at a gold NIL position; fp: other predicted NIL spans, except those at the position
    of an unannotated gold span (ignored); fn: gold NIL spans without a predicted NIL span at their position.
    """
    check_parallel(gold_docs, pred_docs)
    total = PRF()
    for gold, pred in zip(gold_docs, pred_docs, strict=True):
        unannotated = {(index, span.start, span.end) for index, span in _spans(gold) if not span.is_annotated}
        gold_nil = {(index, span.start, span.end) for index, span in _spans(gold) if span.is_nil}
        pred_nil = {(index, span.start, span.end) for index, span in _spans(pred) if span.entity is None}
        total += count(gold_nil, pred_nil - unannotated)
    return total


def _link_counts(gold: Document, pred: Document) -> PRF:
    """Strong-match counts of one document, after discarding predicted links on gold non-link positions."""
    gold_links = _gold_links(gold)
    linked = {link[:3] for link in gold_links}
    not_links = {(index, span.start, span.end) for index, span in _spans(gold)} - linked
    kept = {link for link in _pred_links(pred) if link[:3] not in not_links}
    return count(gold_links, kept)


def _gerbil_measures(counts: PRF) -> tuple[float, float, float]:
    """Precision, recall, F1 of one document as GERBIL's FMeasureCalculator computes them for macro averages."""
    if counts.tp == 0:
        is_perfect = counts.fp == 0 and counts.fn == 0  # nothing to find and nothing found
        return (1.0, 1.0, 1.0) if is_perfect else (0.0, 0.0, 0.0)
    return counts.precision, counts.recall, counts.f1


def _gold_links(doc: Document) -> set[Link]:
    return {
        (index, span.start, span.end, span.entity)
        for index, span in _spans(doc)
        if span.is_annotated and span.entity is not None
    }


def _pred_links(doc: Document) -> set[Link]:
    return {(index, span.start, span.end, span.entity) for index, span in _spans(doc) if span.entity is not None}


def _spans(doc: Document) -> Iterator[tuple[int, Span]]:
    """(sentence index, span) for every span of the document."""
    return ((index, span) for index, sentence in enumerate(doc.sentences) for span in sentence.spans)
