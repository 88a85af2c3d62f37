"""Evaluate a trained model on documents: end-to-end predictions scored, ED on gold mentions, speed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from jointel.data.documents import Document
from jointel.evaluate.report import CorpusScores, score_corpus
from jointel.kb.lookup import KB
from jointel.model.dataset import KBAccess
from jointel.model.joint import JointModel
from jointel.model.predict import link_documents, predict_documents


@dataclass(frozen=True)
class ModelEvaluation:
    protocol: str
    scores: CorpusScores  # NER, EL end to end, NIL; `ed` from linking the gold mentions
    predicted: list[Document]
    seconds: float
    tokens: int

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / max(self.seconds, 1e-9)

    def to_dict(self) -> dict:
        return {"protocol": self.protocol, **self.scores.to_dict(), "seconds": self.seconds, "tokens": self.tokens}


def evaluate_model(model: JointModel, documents: Sequence[Document], kb: KB, protocol: str) -> ModelEvaluation:
    access = KBAccess.open(kb, protocol, model.config.max_candidates, with_gazetteer=model.config.gazetteer_dim > 0)
    start = time.perf_counter()
    predicted = predict_documents(model, documents, access)
    seconds = time.perf_counter() - start
    scores = score_corpus(documents, predicted)
    if model.config.el_weight > 0:
        scores = replace(
            scores, ed=score_corpus(documents, link_documents(model, documents, access, allow_nil=False)).ed
        )
    tokens = sum(document.n_tokens for document in documents)
    return ModelEvaluation(protocol, scores, predicted, seconds, tokens)
