"""Scorers: pure functions of gold and predicted documents (conlleval NER, GERBIL-style EL, ED, NIL), all of them
as one JSON-ready object (`score_corpus`); a trained model scored on documents (`evaluate_model`), and the hand-made
linking cases. What scripts make of the scores is theirs: scripts/bookkeeping.py."""

from jointel.evaluate.calibrate import predicted_documents
from jointel.evaluate.cases import CaseOutcome, read_link_cases, score_link_cases
from jointel.evaluate.el import EDScores, ELScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.model import el_scores_no_nil, evaluate_model
from jointel.evaluate.ner import NERScores, ner_scores, ner_scores_documents
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF
from jointel.evaluate.report import CorpusScores, el_dict, score_corpus

__all__ = [
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
    "ner_scores",
    "ner_scores_documents",
    "nil_scores",
    "predicted_documents",
    "read_link_cases",
    "score_corpus",
    "score_link_cases",
]
