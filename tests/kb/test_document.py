"""Within-document candidates: a mention that shortens an earlier one gets that mention's candidates."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointel.kb import Candidate
from jointel.kb.document import _merged, document_candidates, shortens

TABLE = {
    "bill clinton": [Candidate("Bill_Clinton", 0.9, 10.0, "PER")],
    "clinton": [Candidate("Clinton,_Iowa", 0.5, 7.0, None), Candidate("Hillary_Clinton", 0.4, 9.0, "PER")],
    "new york stock exchange": [Candidate("New_York_Stock_Exchange", 1.0, 9.0, "ORG")],
    "nyse": [],
    "manchester united": [Candidate("Manchester_United_F.C.", 0.95, 10.0, "ORG")],
    "united": [Candidate("United_Airlines", 0.6, 9.0, "ORG"), Candidate("Manchester_United_F.C.", 0.2, 10.0, "ORG")],
}


def lookup(surfaces, k):
    return document_candidates(surfaces, [TABLE.get(surface.lower(), [])[:k] for surface in surfaces], k)


@pytest.mark.parametrize(
    ("short", "full", "expected"),
    [
        ("clinton", "bill clinton", True),  # surname
        ("bill", "bill clinton", False),  # first words name other things: "Paris" after "Paris Hilton"
        ("nyse", "new york stock exchange", True),  # initials
        ("boe", "bank of england", True),  # initials without "of"
        ("york", "new york stock exchange", False),  # a middle word is not a short name
        ("bill clinton", "bill clinton", False),  # the same length: not shorter
        ("n", "new york", False),  # one letter is no acronym
    ],
)
def test_shortens(short, full, expected):
    assert shortens(short.split(), full.split()) is expected


def test_a_surname_after_the_full_name_gets_its_entity_first():
    found = lookup(["Bill Clinton", "Moscow", "Clinton"], 30)
    assert [c.entity for c in found[2]] == ["Bill_Clinton", "Clinton,_Iowa", "Hillary_Clinton"]
    assert found[2][0].prior == 0.9  # the full mention's prior


def test_an_acronym_after_its_expansion_and_a_partial_name_keep_the_higher_prior():
    found = lookup(["New York Stock Exchange", "Manchester United", "NYSE", "United"], 2)
    assert [c.entity for c in found[2]] == ["New_York_Stock_Exchange"]
    assert [(c.entity, c.prior) for c in found[3]] == [("Manchester_United_F.C.", 0.95), ("United_Airlines", 0.6)]


def test_without_an_earlier_mention_a_short_name_keeps_its_own_candidates():
    found = lookup(["Clinton", "Bill Clinton"], 30)
    assert found[0] == TABLE["clinton"]


def _brute_force(surfaces, own, k):
    """The definition: each mention merges the candidates of the most recent earlier mention it shortens."""
    words = [surface.lower().split() for surface in surfaces]
    found = []
    for i, candidates in enumerate(own):
        source = next((j for j in reversed(range(i)) if shortens(words[i], words[j])), None)
        found.append(list(candidates) if source is None else _merged(candidates, found[source], k))
    return found


WORDS = ["bill", "clinton", "new", "york", "nyc", "ny", "bc", "of", "boe", "bank", "england"]
NAMES = st.lists(st.sampled_from(WORDS), min_size=1, max_size=3)


@given(st.lists(NAMES, min_size=1, max_size=8))
def test_the_earlier_mention_is_found_as_by_trying_every_one(mentions):
    """Earlier mentions are looked up by last word and initials: the same source as trying each one, most recent
    first (every mention's own candidate names it, so the merged lists show which mention was merged)."""
    surfaces = [" ".join(words) for words in mentions]
    own = [[Candidate(f"{i}:{surface}", 0.1 * (i % 3), float(i), None)] for i, surface in enumerate(surfaces)]
    assert document_candidates(surfaces, own, 30) == _brute_force(surfaces, own, 30)
