import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import span_sets

from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.calibrate import (
    Outcome,
    ReliabilityBin,
    ScoredLink,
    best_threshold,
    calibrate,
    predicted_documents,
    reliability_bins,
    scored_links,
    threshold_sweep,
)
from jointel.evaluate.el import el_scores
from jointel.evaluate.prf import PRF
from jointel.model.joint import Prediction

N_TOKENS = 12


def _gold(*spans: Span) -> list[Document]:
    """One document of one sentence of N_TOKENS placeholder tokens with the given gold spans."""
    return [Document("1 A", "testa", (Sentence(("w",) * N_TOKENS, spans),))]


def _predictions(*pairs: tuple[Span, float]) -> list[list[list[Prediction]]]:
    """Predictions of that one sentence: (span, link probability) pairs, sorted by start as the model emits them."""
    return [[[Prediction(span, 0.9, score) for span, score in sorted(pairs, key=lambda pair: pair[0].start)]]]


def _link(start: int, entity: str | None) -> Span:
    return Span(start, start + 1, "LOC", entity)


# Four gold links E0..E3 at tokens 0..3; four predicted links: two right, two wrong (one is the right span with the
# wrong entity). Kept links by threshold: none/0.3 → tp 2 fp 2 fn 2, F1 4/8; 0.5 → tp 2 fp 1, F1 4/7;
# 0.6 → tp 2 fp 0, F1 4/6; 0.9 → tp 1 fp 0 fn 3, F1 2/5. Best: 0.6, two links made NIL.
FOUR_GOLD = _gold(*(_link(i, f"E{i}") for i in range(4)))
FOUR_PREDICTED = _predictions(
    (_link(0, "E0"), 0.9),
    (_link(1, "Wrong"), 0.3),
    (_link(2, "E2"), 0.6),
    (_link(4, "Elsewhere"), 0.5),
)


def test_calibrate_four_links_picks_the_threshold_of_best_f1():
    result = calibrate(FOUR_GOLD, FOUR_PREDICTED)
    assert result.threshold == 0.6
    assert (result.before, result.after) == (PRF(2, 2, 2), PRF(2, 0, 2))
    assert (result.before.f1, result.after.f1) == (pytest.approx(0.5), pytest.approx(2 / 3))
    assert (result.made_nil, result.links) == (2, 4)


def test_threshold_sweep_four_links_counts_every_distinct_confidence():
    sweep = threshold_sweep(scored_links(FOUR_GOLD, FOUR_PREDICTED), gold_links=4)
    assert [(s.threshold, s.counts, s.made_nil) for s in sweep] == [
        (None, PRF(2, 2, 2), 0),
        (0.3, PRF(2, 2, 2), 0),
        (0.5, PRF(2, 1, 2), 1),
        (0.6, PRF(2, 0, 2), 2),
        (0.9, PRF(1, 0, 3), 3),
    ]


def test_scored_links_follow_the_el_scorer():
    gold = _gold(_link(0, "E0"), _link(1, None), Span(2, 3, "ORG", None, is_annotated=False), _link(3, "E3"))
    predicted = _predictions(
        (_link(0, "E0"), 0.8),  # right
        (_link(1, "Lisbon"), 0.7),  # on a gold NIL span: discarded (InKB)
        (_link(2, "Acme"), 0.6),  # on an unannotated span: discarded
        (_link(3, "E4"), 0.5),  # right span, wrong entity
        (_link(5, None), 0.4),  # a NIL prediction is no link
    )
    assert scored_links(gold, predicted) == [
        ScoredLink(0.8, Outcome.CORRECT),
        ScoredLink(0.7, Outcome.DISCARDED),
        ScoredLink(0.6, Outcome.DISCARDED),
        ScoredLink(0.5, Outcome.WRONG),
    ]


def test_best_threshold_tie_goes_to_the_lowest_threshold():
    # Gold links E0, E1. Links by confidence: wrong 0.1, right 0.2, wrong 0.3, wrong 0.4, right 0.9.
    # none/0.1: tp 2 fp 3 → 4/7; 0.2: tp 2 fp 2 → 4/6; 0.3: tp 1 fp 2 → 2/5; 0.4: tp 1 fp 1 → 2/4; 0.9: tp 1 fp 0 → 2/3.
    gold = _gold(_link(0, "E0"), _link(1, "E1"))
    predicted = _predictions(
        (_link(5, "X"), 0.1), (_link(1, "E1"), 0.2), (_link(6, "Y"), 0.3), (_link(7, "Z"), 0.4), (_link(0, "E0"), 0.9)
    )
    sweep = threshold_sweep(scored_links(gold, predicted), gold_links=2)
    assert [s.counts.f1 for s in sweep] == pytest.approx([4 / 7, 4 / 7, 2 / 3, 2 / 5, 1 / 2, 2 / 3])
    assert (best_threshold(sweep).threshold, best_threshold(sweep).made_nil) == (0.2, 1)


def test_best_threshold_tie_with_keeping_every_link_is_no_threshold():
    # none: tp 2 fp 2 → 4/6; 0.9 (drops the right 0.2 and both wrong links): tp 1 fp 0 fn 1 → 2/3: a tie.
    gold = _gold(_link(0, "E0"), _link(1, "E1"))
    predicted = _predictions((_link(1, "E1"), 0.2), (_link(5, "X"), 0.3), (_link(6, "Y"), 0.4), (_link(0, "E0"), 0.9))
    result = calibrate(gold, predicted)
    assert result.threshold is None
    assert result.after == result.before == PRF(2, 2, 0)
    assert result.made_nil == 0


def test_calibrate_all_links_correct_keeps_every_link():
    # Three right links and one gold link missed: F1 6/7 with all kept; any threshold only adds misses.
    gold = _gold(*(_link(i, f"E{i}") for i in range(4)))
    result = calibrate(gold, _predictions((_link(0, "E0"), 0.2), (_link(1, "E1"), 0.5), (_link(2, "E2"), 0.99)))
    assert result.threshold is None
    assert result.before == result.after == PRF(3, 0, 1)
    assert result.after.f1 == pytest.approx(6 / 7)
    assert result.made_nil == 0


def test_calibrate_no_links_has_no_threshold():
    result = calibrate(_gold(_link(0, "E0")), _predictions((_link(0, None), 0.7)))
    assert (result.threshold, result.before, result.after, result.links) == (None, PRF(0, 0, 1), PRF(0, 0, 1), 0)
    assert result.bins == []


def test_predicted_documents_keep_a_link_at_the_threshold():
    predicted = _predictions((_link(0, "E0"), 0.6), (_link(1, "E1"), 0.59))
    spans = predicted_documents(FOUR_GOLD, predicted, 0.6)[0].sentences[0].spans
    assert [span.entity for span in spans] == ["E0", None]
    assert predicted_documents(FOUR_GOLD, predicted)[0].sentences[0].spans == (_link(0, "E0"), _link(1, "E1"))


def test_reliability_bins_by_hand():
    links = [
        ScoredLink(0.05, Outcome.CORRECT),
        ScoredLink(0.15, Outcome.WRONG),
        ScoredLink(0.12, Outcome.CORRECT),
        ScoredLink(0.5, Outcome.DISCARDED),  # neither right nor wrong: in no bin
        ScoredLink(0.95, Outcome.CORRECT),
        ScoredLink(1.0, Outcome.WRONG),  # 1.0 falls in the last bin
    ]
    assert reliability_bins(links, n_bins=10) == [
        ReliabilityBin(0.0, 0.1, pytest.approx(0.05), 1.0, 1),
        ReliabilityBin(0.1, 0.2, pytest.approx(0.135), 0.5, 2),
        ReliabilityBin(0.9, 1.0, pytest.approx(0.975), 0.5, 2),
    ]


@st.composite
def _scored_corpus(draw):
    """A gold sentence and a predicted one over the same tokens, each predicted span with a link probability."""
    n, gold_spans = draw(span_sets(max_tokens=15))
    pred_spans = draw(span_sets(max_tokens=n))[1]  # over the first tokens of the same sentence
    scores = draw(st.lists(st.sampled_from([0.1, 0.25, 0.5, 0.75, 1.0]), min_size=len(pred_spans)))
    gold = [Document("1 A", "testa", (Sentence(("w",) * n, tuple(gold_spans)),))]
    predicted = [[[Prediction(span, 1.0, score) for span, score in zip(pred_spans, scores, strict=False)]]]
    return gold, predicted


@settings(max_examples=200, deadline=None)
@given(_scored_corpus())
def test_threshold_sweep_equals_the_el_scorer_at_every_threshold(case):
    gold, predicted = case
    total = el_scores(gold, predicted_documents(gold, predicted)).micro
    for score in threshold_sweep(scored_links(gold, predicted), total.tp + total.fn):
        assert score.counts == el_scores(gold, predicted_documents(gold, predicted, score.threshold)).micro
