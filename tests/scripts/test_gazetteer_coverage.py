"""scripts/gazetteer_coverage.py: the spans a gazetteer marks, and its shares of gold names, on a hand-made case."""

import importlib.util
from pathlib import Path

from jointel.data import Sentence, Span
from jointel.model.gazetteer import Gazetteer

PATH = Path(__file__).parents[2] / "scripts" / "gazetteer_coverage.py"
SPEC = importlib.util.spec_from_file_location("gazetteer_coverage", PATH)
coverage_script = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(coverage_script)


def test_marked_spans_read_first_and_later_word_codes():
    # a name of kind 0 (codes 1, 2, 2), nothing, a one-word name of kind 2 (5), then a second name right after (3)
    assert coverage_script.marked_spans((1, 2, 2, 0, 5, 3, 4)) == {(0, 3), (4, 5), (5, 7)}


def test_coverage_counts_known_exact_and_false_alarms():
    gazetteer = Gazetteer({"rio de janeiro": ("GPE", 1.0), "police": (None, 1.0), "germany": ("GPE", 1.0)})
    # gold: "Rio de Janeiro" (known, marked exactly), "Germany" (known; "Germany ." is marked, overshooting the span)
    sentence = Sentence(
        ("Police", "in", "Rio", "de", "Janeiro", "and", "Germany", "."),
        (Span(2, 5, "LOC"), Span(6, 7, "LOC")),
    )
    known, exact, tokens, outside = coverage_script.coverage([(sentence, gazetteer)])
    assert (known, exact, tokens) == (100.0, 50.0, 100.0)
    assert outside == 100.0  # "Police", the one capitalised word outside the gold mentions, is marked
