"""scripts/bookkeeping.py: the results bookkeeping of the scripts, loaded from its file as the scripts import it."""

import importlib.util
from pathlib import Path

import pytest

from jointel.evaluate import score_corpus

PATH = Path(__file__).parents[2] / "scripts" / "bookkeeping.py"
SPEC = importlib.util.spec_from_file_location("bookkeeping", PATH)
bookkeeping = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bookkeeping)


def test_points_reads_the_headline_figures_in_percent(hand_scored):
    """NER F1 4/7, EL micro F1 0.4, ED 1 of 2 (hand-computed in tests/evaluate/test_report.py)."""
    scores = score_corpus(*hand_scored).to_dict()
    assert bookkeeping.points(scores, "ner") == pytest.approx(400 / 7)
    assert bookkeeping.points(scores, "el") == pytest.approx(40.0)
    assert bookkeeping.points(scores, "ed") == pytest.approx(50.0)
    with pytest.raises(ValueError, match="unknown metric 'nil'"):
        bookkeeping.points(scores, "nil")


def _scores(ner_f1: float) -> dict:
    return {"testb/ppr": {"ner": {"micro": {"f1": ner_f1}}}}


def test_paired_deltas_pair_seeds_both_variants_have():
    by_run = {
        ("joint", 1): _scores(0.92),
        ("joint", 2): _scores(0.90),
        ("joint", 3): _scores(0.91),
        ("ner", 1): _scores(0.91),
        ("ner", 3): {"testb/ppr": {}},  # older than the metric: left out
        ("ner", 4): _scores(0.50),
    }
    assert bookkeeping.paired_deltas(by_run, "ner", "testb/ppr", "ner") == [pytest.approx(1.0)]


def test_trained_with_dev_reads_the_configs():
    assert bookkeeping.trained_with_dev([{"config": {"train_with_dev": False}}, {"config": {"train_with_dev": True}}])
    assert not bookkeeping.trained_with_dev([{"config": {}}, {"variant": "pipeline"}])


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
    assert bookkeeping.ner_only_lenders(configurations) == lenders


def test_single_task_variants_are_scored_only_on_their_task():
    is_scored = bookkeeping.is_scored
    assert all(is_scored("joint", metric) for metric in ("ner", "el", "el_no_nil", "ed"))
    assert [is_scored("ner", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [True, False, False, False]
    assert [is_scored("el", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [False, False, False, True]
    assert [is_scored("pipeline", metric) for metric in ("ner", "el", "el_no_nil", "ed")] == [True, True, True, False]
