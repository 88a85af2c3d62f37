import pytest

from jointel.kb import Candidate
from jointel.model.features import casing, document_context, title_words


def test_document_context_coherence_and_borrowed_candidates():
    phil = [Candidate("Phil_Simmons", 0.9, 5.0, "PER"), Candidate("Phil_Collins", 0.1, 8.0, "PER")]
    simmons = [Candidate("Simmons_(band)", 1.0, 3.0, None)]
    leicester = [Candidate("Leicestershire_CCC", 0.7, 4.0, "ORG"), Candidate("Phil_Simmons", 0.05, 5.0, "PER")]
    contexts = document_context([("Phil Simmons", phil), ("Simmons", simmons), ("Leicestershire", leicester)])
    (candidates, context) = contexts[1]
    # "Simmons" borrows the top 2 candidates of "Phil Simmons", which contains all its words.
    assert [c.entity for c in candidates] == ["Simmons_(band)", "Phil_Simmons", "Phil_Collins"]
    assert [c.prior for c in candidates] == [1.0, 0.0, 0.0]
    # coherence of Phil_Simmons for "Simmons": 0.9 (Phil Simmons) + 0.05 (Leicestershire); containment 0.9.
    assert context[1] == pytest.approx((0.95, 0.9))
    assert context[0] == (0.0, 0.0)
    # "Phil Simmons" itself: coherence of Phil_Simmons comes from Leicestershire only; nothing contains it.
    assert contexts[0][1][0] == pytest.approx((0.05, 0.0))


def test_title_words_drops_the_qualifier():
    assert title_words("Paris_Saint-Germain_F.C.") == ["paris", "saint", "germain", "f", "c"]
    assert title_words("Paris_(band)") == ["paris"]


def test_casing_classes():
    assert [casing(token) for token in ["1996", "B-52", ",", "EU", "Paris", "rejects", "iPhone"]] == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
    ]


def test_document_context_longer_mention_without_candidates():
    contexts = document_context([("EU wide", []), ("EU", [Candidate("European_Union", 0.9, 9.0, "ORG")])])
    assert contexts[1][1] == [(0.0, 0.0)]
