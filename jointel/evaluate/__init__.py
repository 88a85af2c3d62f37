"""Scorers: pure functions of gold and predicted documents (conlleval NER, GERBIL-style EL, ED, NIL); and
a trained model scored on documents (`evaluate_model`), the hand-made linking cases and report helpers."""

from jointel.evaluate.calibrate import predicted_documents
from jointel.evaluate.cases import CaseOutcome, read_link_cases, score_link_cases
from jointel.evaluate.el import EDScores, ELScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.model import el_scores_no_nil, evaluate_model
from jointel.evaluate.ner import NERScores, ner_scores, ner_scores_documents
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF
from jointel.evaluate.report import (
    METRICS,
    CorpusScores,
    el_dict,
    is_scored,
    ner_only_lenders,
    paired_deltas,
    points,
    score_corpus,
    trained_with_dev,
)

__all__ = [
    "METRICS",
    "PRF",
    "CaseOutcome",
    "CorpusScores",
    "EDScores",
    "ELScores",
    "NERScores",
    "check_parallel",
    "ed_accuracy",
    "el_dict",
    "el_scores",
    "el_scores_no_nil",
    "evaluate_model",
    "is_scored",
    "ner_only_lenders",
    "ner_scores",
    "ner_scores_documents",
    "nil_scores",
    "paired_deltas",
    "points",
    "predicted_documents",
    "read_link_cases",
    "score_corpus",
    "score_link_cases",
    "trained_with_dev",
]
