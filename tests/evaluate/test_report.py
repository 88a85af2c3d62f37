import json

import pytest

from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.report import is_scored, ner_only_lenders, points, score_corpus

GOLD = [
    Document(
        "1 A",
        "testb",
        (Sentence(("Ann", "met", "Bob", "in", "Bonn"), (Span(0, 1, "PER", "Ann"), Span(2, 3, "PER", None))),),
    ),
    Document("2 B", "testb", (Sentence(("Cork", "won"), (Span(0, 1, "ORG", "Cork_City"),)),)),
]
PRED = [
    Document(
        "1 A",
        "",
        (
            Sentence(
                ("Ann", "met", "Bob", "in", "Bonn"),
                (Span(0, 1, "PER", "Ann"), Span(2, 3, "PER", None), Span(4, 5, "LOC", "Bonn")),
            ),
        ),
    ),
    Document("2 B", "", (Sentence(("Cork", "won"), (Span(0, 1, "LOC", "Cork"),)),)),
]


def test_score_corpus_to_dict_hand_computed():
    scores = score_corpus(GOLD, PRED).to_dict()
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


def test_score_corpus_rejects_unparallel_documents():
    with pytest.raises(ValueError, match="gold has 2 documents but predictions have 1"):
        score_corpus(GOLD, PRED[:1])


def test_points_reads_the_headline_figures_in_percent():
    scores = score_corpus(GOLD, PRED).to_dict()
    assert points(scores, "ner") == pytest.approx(400 / 7)
    assert points(scores, "el") == pytest.approx(40.0)
    assert points(scores, "ed") == pytest.approx(50.0)
    with pytest.raises(ValueError, match="unknown metric 'nil'"):
        points(scores, "nil")


def _run(variant: str, seed: int, **config) -> dict:
    return {"variant": variant, "seed": seed, "config": {"seed": seed, **config}, "scores": {}}


def test_ner_only_runs_are_shared_across_linker_settings_only():
    """accurate-ppr (other candidates) borrows accurate's NER-only runs; a wider encoder does not; nor do
    configurations with NER-only runs of their own. Settings older results omit count as their defaults."""
    accurate = {"contextual_dim": 384, "link_coherence": True}
    configurations = {
        "accurate": {("ner", 1): _run("ner", 1, el_weight=0.0, **accurate), ("joint", 1): _run("joint", 1, **accurate)},
        "accurate-ppr": {
            ("joint", s): _run("joint", s, candidate_protocol="ppr", max_candidates=100, **accurate) for s in (1, 2)
        },
        "string-match": {("joint", 1): _run("joint", 1, normalized_match=True, **accurate)},
        "wide": {("joint", 1): _run("joint", 1, hidden=400, **accurate)},
        "old": {("ner", 1): {"variant": "ner", "seed": 1, "config": {"seed": 1, "el_weight": 0.0}}},
        "plain": {("joint", 1): _run("joint", 1, contextual_dim=0, link_isolation=True)},
    }
    lenders = {"accurate-ppr": "accurate", "string-match": "accurate", "plain": "old"}
    assert ner_only_lenders(configurations) == lenders


def test_single_task_variants_are_scored_only_on_their_task():
    assert all(is_scored("joint", metric) for metric in ("ner", "el", "el_no_nil", "ed"))
    assert [is_scored("ner", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [True, False, False, False]
    assert [is_scored("el", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [False, False, False, True]
    assert [is_scored("pipeline", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [True, True, True, False]
