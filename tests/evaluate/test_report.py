import json

import pytest

from jointel.evaluate.report import score_corpus


def test_score_corpus_to_dict_hand_computed(hand_scored):
    scores = score_corpus(*hand_scored).to_dict()
    # NER: Ann PER, Bob PER right; Bonn LOC spurious; Cork LOC vs ORG wrong: tp 2, fp 2, fn 1
    # P = 2/4, R = 2/3, F1 = 2 * (1/3) / (7/6) = 4/7
    assert scores["ner"]["micro"] == pytest.approx(
        {"tp": 2, "fp": 2, "fn": 1, "precision": 0.5, "recall": 2 / 3, "f1": 4 / 7}
    )
    assert scores["ner"]["per_type"]["ORG"] == {"tp": 0, "fp": 0, "fn": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0}
    # EL: doc 1 tp 1 (Ann) fp 1 (Bonn): P 1/2, R 1, F1 2/3; doc 2 tp 0 fp 1 fn 1 (Cork): all 0
    # micro tp 1 fp 2 fn 1: P 1/3, R 1/2, F1 0.4; macro P 1/4, R 1/2, F1 1/3
    assert scores["el"]["micro"] == pytest.approx(
        {"tp": 1, "fp": 2, "fn": 1, "precision": 1 / 3, "recall": 0.5, "f1": 0.4}
    )
    assert scores["el"]["macro"] == pytest.approx({"precision": 0.25, "recall": 0.5, "f1": 1 / 3})
    assert scores["el"]["n_documents"] == 2
    # ED: Ann right, Cork_City wrong
    assert scores["ed"] == {"correct": 1, "total": 2, "accuracy": 0.5}
    # NIL: Bob found
    assert scores["nil"] == {"tp": 1, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert json.loads(json.dumps(scores)) == scores


def test_score_corpus_rejects_unparallel_documents(hand_scored):
    gold, predicted = hand_scored
    with pytest.raises(ValueError, match="gold has 2 documents but predictions have 1"):
        score_corpus(gold, predicted[:1])
