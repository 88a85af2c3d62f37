"""Scorers: pure functions of gold and predicted documents (conlleval NER, GERBIL-style EL, ED, NIL)."""

from jointel.evaluate.el import EDScores, ELScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.ner import NERScores, ner_scores, ner_scores_documents
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF
from jointel.evaluate.report import CorpusScores, score_corpus

__all__ = [
    "PRF",
    "CorpusScores",
    "EDScores",
    "ELScores",
    "NERScores",
    "check_parallel",
    "ed_accuracy",
    "el_scores",
    "ner_scores",
    "ner_scores_documents",
    "nil_scores",
    "score_corpus",
]
