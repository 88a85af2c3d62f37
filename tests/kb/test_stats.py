"""Candidate recall@K and the prior baseline on the tiny KB, counted by hand."""

import pytest

from jointel.data import Document, Sentence, Span
from jointel.kb import KB, candidate_recall, gold_mentions, prior_baseline


@pytest.fixture
def kb(tiny_kb):
    with KB(tiny_kb.path) as opened:
        yield opened


def test_gold_mentions_are_the_linked_spans(tiny_kb):
    mentions = list(gold_mentions(tiny_kb.corpus["train"]))
    # EU and Peter Blackburn are NIL; Phil | Mickelson are two spans of one AIDA mention.
    assert [(mention.doc, mention.surface, mention.entity) for mention in mentions] == [
        (1, "German", "Germany"),
        (2, "Phil", "Phil_Mickelson"),
        (2, "Mickelson", "Phil_Mickelson"),
        (2, "Paris", "Paris"),
    ]


def test_candidate_recall_realistic_testa(kb, tiny_kb):
    # Germany → [Germany] hit; Argentina → [Argentina], gold (the team) absent; Rio de Janeiro → title, hit.
    report = candidate_recall(kb, tiny_kb.corpus["testa"], "realistic", ks=(1, 5, None))
    assert report.mentions == 3
    assert report.recall == {1: pytest.approx(2 / 3), 5: pytest.approx(2 / 3), None: pytest.approx(2 / 3)}
    assert report.mean_candidates == 1.0


def test_candidate_recall_ppr_testa(kb, tiny_kb):
    # Germany: rank 1 of 2; Argentina: rank 2 of 3 (gold injected first in the file); Rio de Janeiro: rank 1 of 2.
    report = candidate_recall(kb, tiny_kb.corpus["testa"], "ppr", ks=(1, 2, None))
    assert report.recall == {1: pytest.approx(2 / 3), 2: 1.0, None: 1.0}
    assert report.mean_candidates == pytest.approx(7 / 3)


def test_candidate_recall_k_limits_the_list_length(kb, tiny_kb):
    report = candidate_recall(kb, tiny_kb.corpus["testa"], "ppr", ks=(1,))
    assert report.mean_candidates == 1.0


def test_prior_baseline_counts_empty_candidate_lists_as_wrong(kb, tiny_kb):
    # testb realistic: Paris Hilton → title, hit; Paris → Paris, hit; Saint Germain → no alias at all.
    score = prior_baseline(kb, tiny_kb.corpus["testb"], "realistic")
    assert (score.mentions, score.correct, score.without_candidates) == (3, 2, 1)
    assert score.accuracy == pytest.approx(2 / 3)


def test_prior_baseline_equals_recall_at_1(kb, tiny_kb):
    for protocol in ("realistic", "ppr"):
        for split in ("train", "testa", "testb"):
            documents = tiny_kb.corpus[split]
            recall = candidate_recall(kb, documents, protocol, ks=(1,)).recall[1]
            assert prior_baseline(kb, documents, protocol).accuracy == pytest.approx(recall)


def test_candidate_recall_unknown_protocol_is_an_error(kb, tiny_kb):
    with pytest.raises(ValueError, match="unknown candidate protocol 'oracle'"):
        candidate_recall(kb, tiny_kb.corpus["testa"], "oracle")


def test_candidate_recall_under_wikipedia_reads_the_earlier_mentions_of_the_document(kb):
    """ "Janeiro" alone has no candidate in the tiny KB; after "Rio de Janeiro" the wikipedia protocol gives it that
    mention's (`WikipediaCandidates.in_document`), and so does the recall measured under that protocol."""
    tokens = ("Rio", "de", "Janeiro", "and", "Janeiro", ".")
    spans = (Span(0, 3, "LOC", "Rio_de_Janeiro"), Span(4, 5, "LOC", "Rio_de_Janeiro"))
    documents = [Document("1 EU", "testa", (Sentence(tokens, spans),))]
    assert candidate_recall(kb, documents, "realistic", (1,)).recall[1] == 0.5
    assert candidate_recall(kb, documents, "wikipedia", (1,)).recall[1] == 1.0
