import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.el import EDScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.prf import PRF

N_TOKENS = 12


def _doc(doc_id: str, *sentences: list[Span]) -> Document:
    """A document whose sentences have N_TOKENS placeholder tokens and the given spans."""
    return Document(doc_id, "testb", tuple(Sentence(("w",) * N_TOKENS, tuple(spans)) for spans in sentences))


def _unannotated(start: int, end: int) -> Span:
    return Span(start, end, "ORG", None, is_annotated=False)


def _micro(gold_spans: list[Span], pred_spans: list[Span]) -> PRF:
    return el_scores([_doc("1 A", gold_spans)], [_doc("1 A", pred_spans)]).micro


def test_el_link_on_gold_nil_span_is_discarded():
    gold = [Span(0, 2, "PER", "Barack_Obama"), Span(3, 4, "LOC", None)]
    pred = [Span(0, 2, "PER", "Barack_Obama"), Span(3, 4, "LOC", "Lisbon")]
    assert _micro(gold, pred) == PRF(tp=1, fp=0, fn=0)


def test_el_link_on_unannotated_span_is_discarded():
    gold = [Span(0, 2, "PER", "Barack_Obama"), _unannotated(5, 6)]
    pred = [Span(0, 2, "PER", "Barack_Obama"), Span(5, 6, "ORG", "Acme_Corporation")]
    assert _micro(gold, pred) == PRF(tp=1, fp=0, fn=0)


def test_el_link_overlapping_gold_nil_span_is_a_false_positive():
    # only the exact position of a gold NIL span is excused
    assert _micro([Span(3, 5, "LOC", None)], [Span(3, 4, "LOC", "Lisbon")]) == PRF(tp=0, fp=1, fn=0)


def test_el_partial_overlap_never_counts():
    assert _micro([Span(7, 9, "LOC", "Paris")], [Span(7, 8, "LOC", "Paris")]) == PRF(tp=0, fp=1, fn=1)


def test_el_wrong_entity_is_false_positive_and_false_negative():
    assert _micro([Span(7, 9, "LOC", "Paris")], [Span(7, 9, "LOC", "Paris_Hilton")]) == PRF(tp=0, fp=1, fn=1)


def test_el_predicted_nil_on_gold_link_is_only_a_miss():
    assert _micro([Span(7, 9, "LOC", "Paris")], [Span(7, 9, "LOC", None)]) == PRF(tp=0, fp=0, fn=1)


def test_el_ignores_ner_label():
    assert _micro([Span(7, 9, "LOC", "Paris")], [Span(7, 9, "PER", "Paris")]) == PRF(tp=1)


def test_el_same_position_in_another_sentence_does_not_match():
    gold = [_doc("1 A", [Span(0, 1, "LOC", "Paris")], [])]
    pred = [_doc("1 A", [], [Span(0, 1, "LOC", "Paris")])]
    assert el_scores(gold, pred).micro == PRF(tp=0, fp=1, fn=1)


def test_el_micro_and_macro_over_three_documents():
    gold = [
        _doc("1 A", [Span(0, 1, "PER", "Ann"), Span(2, 3, "LOC", "Bonn")]),
        _doc("2 B", [Span(0, 1, "ORG", None)]),  # a NIL mention only: no gold link
        _doc("3 C", [Span(4, 6, "LOC", "Cork")]),
    ]
    pred = [
        _doc("1 A", [Span(0, 1, "PER", "Ann"), Span(2, 3, "LOC", "Bern"), Span(5, 6, "ORG", "Cisco")]),
        _doc("2 B", [Span(0, 1, "ORG", "Oracle")]),  # discarded (gold NIL position)
        _doc("3 C", []),
    ]
    scores = el_scores(gold, pred)
    # doc 1: tp 1 (Ann), fp 2 (Bern, Cisco), fn 1 (Bonn): P = 1/3, R = 1/2, F1 = 2 * (1/6) / (5/6) = 0.4
    # doc 2: nothing to find, nothing kept: GERBIL gives P = R = F1 = 1
    # doc 3: tp 0 with fn 1: P = R = F1 = 0
    assert scores.micro == PRF(tp=1, fp=2, fn=2)
    assert scores.n_documents == 3
    assert scores.macro_precision == pytest.approx((1 / 3 + 1 + 0) / 3)  # 0.4444
    assert scores.macro_recall == pytest.approx((1 / 2 + 1 + 0) / 3)  # 0.5
    assert scores.macro_f1 == pytest.approx((0.4 + 1 + 0) / 3)  # 0.4667


def test_el_macro_document_with_only_spurious_links_scores_zero():
    gold = [_doc("1 A", [Span(0, 1, "PER", "Ann")]), _doc("2 B", [])]
    pred = [_doc("1 A", [Span(0, 1, "PER", "Ann")]), _doc("2 B", [Span(0, 1, "PER", "Bob")])]
    scores = el_scores(gold, pred)
    # doc 1: P = R = F1 = 1; doc 2: no gold links, one FP: GERBIL gives 0 for all three
    assert (scores.macro_precision, scores.macro_recall, scores.macro_f1) == (0.5, 0.5, 0.5)
    assert scores.micro == PRF(tp=1, fp=1, fn=0)


def test_el_empty_corpus_scores_zero():
    scores = el_scores([], [])
    assert (scores.micro, scores.macro_f1, scores.n_documents) == (PRF(), 0.0, 0)


def test_el_rejects_unparallel_documents():
    with pytest.raises(ValueError, match="gold '1 A' is paired with predicted '2 B'"):
        el_scores([_doc("1 A", [])], [_doc("2 B", [])])


@st.composite
def linked_documents(draw, doc_id: str) -> Document:
    """One sentence of single-token spans: linked, NIL (entity None) or unannotated."""
    starts = draw(st.sets(st.integers(0, N_TOKENS - 1), max_size=6))
    kinds = st.sampled_from(["Ann", "Bonn", None, "unannotated"])
    spans = []
    for start in sorted(starts):
        kind = draw(kinds)
        is_annotated = kind != "unannotated"
        spans.append(Span(start, start + 1, "LOC", kind if is_annotated else None, is_annotated))
    return _doc(doc_id, spans)


@given(st.integers(1, 4).flatmap(lambda n: st.tuples(*(linked_documents(str(i)) for i in range(n)))))
def test_el_gold_against_gold_is_perfect(gold):
    scores = el_scores(gold, gold)
    assert scores.micro.fp == scores.micro.fn == 0
    assert (scores.macro_precision, scores.macro_recall, scores.macro_f1) == (1.0, 1.0, 1.0)
    nil = nil_scores(gold, gold)
    assert nil.fp == nil.fn == 0


def test_ed_accuracy_counts_gold_links_only():
    gold = [
        _doc("1 A", [Span(0, 1, "PER", "Ann"), Span(2, 3, "LOC", "Bonn"), Span(4, 5, "LOC", "Cork")]),
        _doc("2 B", [Span(0, 1, "ORG", None), _unannotated(2, 3)]),  # neither is a gold link
    ]
    pred = [
        _doc("1 A", [Span(0, 1, "PER", "Ann"), Span(2, 3, "LOC", "Bern")]),  # Cork has no prediction
        _doc("2 B", [Span(0, 1, "ORG", "Oracle"), Span(2, 3, "ORG", "Acme")]),
    ]
    scores = ed_accuracy(gold, pred)
    assert scores == EDScores(correct=1, total=3)
    assert scores.accuracy == pytest.approx(1 / 3)


def test_ed_accuracy_without_gold_links_is_zero():
    assert ed_accuracy([_doc("1 A", [])], [_doc("1 A", [])]).accuracy == 0.0


def test_nil_scores_by_exact_position():
    gold = [
        Span(0, 1, "PER", None),
        Span(2, 3, "ORG", None),
        Span(4, 5, "LOC", "Bonn"),
        _unannotated(6, 7),
    ]
    pred = [
        Span(0, 1, "PER", None),  # tp
        Span(2, 4, "ORG", None),  # partial overlap: fp, and gold 2-3 is a fn
        Span(4, 5, "LOC", None),  # a gold link called NIL: fp
        Span(6, 7, "ORG", None),  # unannotated gold position: ignored
        Span(8, 9, "MISC", None),  # no gold mention: fp
        Span(10, 11, "PER", "Ann"),  # a link, not a NIL prediction
    ]
    scores = nil_scores([_doc("1 A", gold)], [_doc("1 A", pred)])
    assert scores == PRF(tp=1, fp=3, fn=1)
    assert (scores.precision, scores.recall) == (0.25, 0.5)
