"""NER scores with conlleval semantics: a predicted span is correct iff its boundaries and type equal a gold span.

The entity (KB id) of a span plays no part here; linking is scored in `jointel.evaluate.el`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointel.data.documents import Document, Span
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF, count


@dataclass(frozen=True)
class NERScores:
    """Micro counts over all spans, and counts per NER type (every type seen in gold or predictions)."""

    micro: PRF
    per_type: dict[str, PRF]


def ner_scores(gold: Sequence[Sequence[Span]], pred: Sequence[Sequence[Span]]) -> NERScores:
    """Score predicted spans against gold spans, sentence by sentence (the two sequences are parallel)."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} sentences but predictions have {len(pred)}")
    gold_keys = _keys(gold)
    pred_keys = _keys(pred)
    labels = sorted({key[-1] for key in gold_keys | pred_keys})
    per_type = {label: count(_with_label(gold_keys, label), _with_label(pred_keys, label)) for label in labels}
    return NERScores(micro=count(gold_keys, pred_keys), per_type=per_type)


def ner_scores_documents(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> NERScores:
    """`ner_scores` over parallel documents; raises ValueError if ids, sentence or token counts differ."""
    check_parallel(gold_docs, pred_docs)
    return ner_scores(_sentence_spans(gold_docs), _sentence_spans(pred_docs))


def _keys(sentences: Sequence[Sequence[Span]]) -> set[tuple[int, int, int, str]]:
    """(sentence index, start, end, label) of every span: what conlleval compares."""
    return {(index, span.start, span.end, span.label) for index, spans in enumerate(sentences) for span in spans}


def _with_label(keys: set[tuple[int, int, int, str]], label: str) -> set[tuple[int, int, int, str]]:
    return {key for key in keys if key[-1] == label}


def _sentence_spans(docs: Sequence[Document]) -> list[tuple[Span, ...]]:
    return [sentence.spans for doc in docs for sentence in doc.sentences]
