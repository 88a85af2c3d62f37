import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jointel.data.documents import LABELS, Document, Sentence, Span
from jointel.evaluate.ner import ner_scores, ner_scores_documents
from jointel.evaluate.prf import PRF

GOLD = [
    [Span(0, 2, "PER", "Barack_Obama"), Span(3, 4, "LOC")],
    [Span(0, 1, "ORG"), Span(2, 4, "MISC")],
]
PRED = [
    [Span(0, 2, "PER"), Span(3, 5, "LOC")],  # PER right; LOC one token too long: FP + FN
    [Span(0, 1, "ORG"), Span(2, 4, "PER"), Span(5, 6, "LOC")],  # ORG right; MISC read as PER; LOC spurious
]


@st.composite
def sentence_spans(draw, max_tokens: int = 15) -> list[Span]:
    """Non-overlapping spans in start order over a sentence of up to `max_tokens` tokens."""
    n_tokens = draw(st.integers(0, max_tokens))
    spans, i = [], 0
    while i < n_tokens:
        start = i + draw(st.integers(0, 2))
        end = start + draw(st.integers(1, 3))
        if end > n_tokens:
            break
        spans.append(Span(start, end, draw(st.sampled_from(LABELS))))
        i = end
    return spans


corpora = st.lists(sentence_spans(), min_size=1, max_size=6)


def test_ner_scores_hand_computed():
    scores = ner_scores(GOLD, PRED)
    # tp: PER 0-2, ORG 0-1 = 2; fp: LOC 3-5, PER 2-4, LOC 5-6 = 3; fn: LOC 3-4, MISC 2-4 = 2
    assert scores.micro == PRF(tp=2, fp=3, fn=2)
    assert scores.micro.precision == 0.4  # 2/5
    assert scores.micro.recall == 0.5  # 2/4
    assert abs(scores.micro.f1 - 4 / 9) < 1e-12  # 2 * 0.4 * 0.5 / 0.9
    assert scores.per_type == {
        "LOC": PRF(tp=0, fp=2, fn=1),
        "MISC": PRF(tp=0, fp=0, fn=1),
        "ORG": PRF(tp=1, fp=0, fn=0),
        "PER": PRF(tp=1, fp=1, fn=0),
    }


def test_ner_scores_ignore_entities():
    gold = [[Span(0, 1, "LOC", "Paris")]]
    pred = [[Span(0, 1, "LOC", "Paris_Hilton")]]
    assert ner_scores(gold, pred).micro == PRF(tp=1)


def test_ner_scores_compare_within_the_same_sentence():
    gold = [[Span(0, 1, "LOC")], []]
    pred = [[], [Span(0, 1, "LOC")]]
    assert ner_scores(gold, pred).micro == PRF(tp=0, fp=1, fn=1)


def test_ner_scores_reject_unparallel_sentences():
    with pytest.raises(ValueError, match="gold has 2 sentences but predictions have 1"):
        ner_scores(GOLD, PRED[:1])


def test_ner_scores_documents_pools_sentences_of_all_documents():
    gold = [
        Document("1 A", "testb", (Sentence(("w",) * 5, tuple(GOLD[0])),)),
        Document("2 B", "testb", (Sentence(("w",) * 6, tuple(GOLD[1])),)),
    ]
    pred = [
        Document("1 A", "", (Sentence(("w",) * 5, tuple(PRED[0])),)),
        Document("2 B", "", (Sentence(("w",) * 6, tuple(PRED[1])),)),
    ]
    assert ner_scores_documents(gold, pred) == ner_scores(GOLD, PRED)


def test_ner_scores_documents_reject_token_count_mismatch():
    gold = [Document("1 A", "testb", (Sentence(("w",) * 5),))]
    pred = [Document("1 A", "", (Sentence(("w",) * 4),))]
    with pytest.raises(ValueError, match="document '1 A', sentence 0: gold has 5 tokens, predictions 4"):
        ner_scores_documents(gold, pred)


@given(corpora)
def test_ner_scores_gold_against_gold_is_perfect(gold):
    scores = ner_scores(gold, gold)
    n_spans = sum(len(spans) for spans in gold)
    assert scores.micro == PRF(tp=n_spans)
    assert scores.micro.f1 == (1.0 if n_spans else 0.0)  # conlleval prints 0 when there is nothing to find
    assert all(prf.f1 == 1.0 for prf in scores.per_type.values())


@given(corpora, st.data())
def test_ner_scores_removing_one_prediction_costs_one_gold_span_of_recall(gold, data):
    n_spans = sum(len(spans) for spans in gold)
    assume(n_spans > 0)
    sentence = data.draw(st.sampled_from([i for i, spans in enumerate(gold) if spans]))
    dropped = data.draw(st.integers(0, len(gold[sentence]) - 1))
    pred = [list(spans) for spans in gold]
    del pred[sentence][dropped]
    scores = ner_scores(gold, pred)
    assert scores.micro.precision == 1.0 or n_spans == 1
    assert abs((1.0 - scores.micro.recall) - 1 / n_spans) < 1e-12
