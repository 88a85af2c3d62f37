"""Evaluate a trained model on documents: end-to-end predictions scored, ED on gold mentions, speed."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from jointel.data.documents import Document
from jointel.evaluate.calibrate import predicted_documents, with_nil_bias
from jointel.evaluate.el import ELScores, el_scores
from jointel.evaluate.report import CorpusScores, el_dict, score_corpus
from jointel.kb.lookup import KB
from jointel.model.inputs import KBAccess
from jointel.model.joint import JointModel, Prediction
from jointel.model.predict import link_documents, predict

DOCUMENTS_PER_CALL = 32


@dataclass(frozen=True)
class ModelEvaluation:
    protocol: str
    scores: CorpusScores  # NER, EL end to end, NIL; `ed` from linking the gold mentions
    predicted: list[Document]
    seconds: float
    tokens: int
    nil_threshold: float | None = None  # the model's calibrated threshold, applied to `predicted`
    made_nil: int = 0  # predicted links below it, made NIL
    el_no_nil: ELScores | None = None  # end-to-end EL with every predicted mention linked to its best candidate
    nil_bias: float = 0.0  # the model's calibrated NIL bias, applied before the threshold

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            "nil_threshold": self.nil_threshold,
            "nil_bias": self.nil_bias,
            "links_made_nil": self.made_nil,
            **self.scores.to_dict(),
            **({"el_no_nil": el_dict(self.el_no_nil)} if self.el_no_nil is not None else {}),
            "seconds": self.seconds,
            "tokens": self.tokens,
        }


def predict_scored(
    model: JointModel, documents: Sequence[Document], access: KBAccess, documents_per_call: int = DOCUMENTS_PER_CALL
) -> Iterator[list[list[Prediction]]]:
    """The predictions of each document (per sentence, with link probabilities), in order.

    `documents_per_call` documents go through each `predict` call, so a caller can show progress. Batch makeup
    moves probabilities by about 1e-7, so `jointel calibrate` and `jointel evaluate` both predict this way: a
    threshold chosen at one link's probability then keeps or drops that link in both.
    """
    for start in range(0, len(documents), documents_per_call):
        chunk = documents[start : start + documents_per_call]
        yield from predict(model, [(document.number, document.sentences) for document in chunk], access)


def evaluate_model(
    model: JointModel,
    documents: Sequence[Document],
    kb: KB,
    protocol: str,
    nil_threshold: float | None = None,
    nil_bias: float = 0.0,
) -> ModelEvaluation:
    """Score the model's predictions as users get them: NIL's log-odds lowered by its calibrated `nil_bias`, then
    links below its calibrated `nil_threshold` (if any) made NIL (see `jointel.model.threshold`).

    `el_no_nil` scores the same predictions with every mention linked to its best candidate. InKB scoring ignores
    links on gold NIL mentions, so there a NIL earns nothing (it only spares a spurious span an error): the
    decision rule of systems tuned for the benchmark rather than for users, who need NIL.
    """
    access = KBAccess.for_model(kb, protocol, model.config)
    start = time.perf_counter()
    predictions = with_nil_bias(list(predict_scored(model, documents, access)), nil_bias)
    seconds = time.perf_counter() - start
    predicted = predicted_documents(documents, predictions, nil_threshold)
    scores = score_corpus(documents, predicted)
    if model.config.el_weight > 0:  # ED links every gold mention to its best candidate: no NIL, so no threshold
        scores = replace(
            scores, ed=score_corpus(documents, link_documents(model, documents, access, allow_nil=False)).ed
        )
    tokens = sum(document.n_tokens for document in documents)
    made_nil = sum(p.is_made_nil(nil_threshold) for rows in predictions for row in rows for p in row)
    no_nil = el_scores_no_nil(documents, predictions) if model.config.el_weight > 0 else None
    return ModelEvaluation(protocol, scores, predicted, seconds, tokens, nil_threshold, made_nil, no_nil, nil_bias)


def el_scores_no_nil(documents: Sequence[Document], predictions: Sequence[list[list[Prediction]]]) -> ELScores:
    """End-to-end EL of `predictions` with every mention linked to its best candidate (`Prediction.linked_anyway`)."""
    anyway = [[[p.linked_anyway() for p in row] for row in rows] for rows in predictions]
    return el_scores(documents, predicted_documents(documents, anyway))
