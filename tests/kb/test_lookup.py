"""KB: realistic and PPR candidates, ranking, fallbacks, read-only access and clear errors."""

import math
import sqlite3

import pytest

from jointel.kb import KB, Candidate, KBFormatError


def weight(in_count):
    """w(e) of jointel.kb.prior; the most popular fixture entity is Paris (inCount 30,000)."""
    return (1 + math.log1p(in_count)) / (1 + math.log1p(30000))


def entities(found):
    return [candidate.entity for candidate in found]


@pytest.fixture
def kb(tiny_kb):
    with KB(tiny_kb.path) as opened:
        yield opened


def test_candidates_rank_by_prior_computed_by_hand(kb):
    # score = gold + w·(0.5·title + 0.25·stem + 0.05·train PPR lists):
    # Paris: 1 gold link + title + PPR list of doc 2; "Paris, Texas": stem + PPR; Paris Hilton: PPR only.
    scores = {"Paris": 1 + 1.0 * 0.55, "Paris,_Texas": weight(400) * 0.30, "Paris_Hilton": weight(2000) * 0.05}
    total = sum(scores.values())
    found = kb.candidates("Paris")
    assert entities(found) == ["Paris", "Paris,_Texas", "Paris_Hilton"]
    for candidate in found:
        assert candidate.prior == pytest.approx(scores[candidate.entity] / total)
    assert found[0] == Candidate("Paris", pytest.approx(0.8739, abs=1e-4), pytest.approx(math.log1p(30000)), "GPE")


def test_candidates_k_truncates_after_ranking(kb):
    assert entities(kb.candidates("Paris", k=2)) == ["Paris", "Paris,_Texas"]
    assert len(kb.candidates("Paris", k=None)) == 3


def test_candidates_unknown_alias_is_empty(kb):
    assert kb.candidates("Zzyzx") == []
    assert kb.candidates("") == []


def test_candidates_ignore_case_accents_and_punctuation(kb):
    assert kb.candidates("PARIS") == kb.candidates("París") == kb.candidates("Paris.")


def test_candidates_fall_back_to_variants_only_when_unknown(kb):
    assert kb.candidates("the Paris")[0].entity == "Paris"  # no "the paris" alias: variant "paris"
    assert kb.candidates("Paris's")[0].entity == "Paris"


def test_candidates_surname_of_a_person(kb):
    assert entities(kb.candidates("Hilton")) == ["Paris_Hilton"]


def test_candidates_many_keeps_order(kb):
    batch = kb.candidates_many(["Paris", "Zzyzx", "German"], k=1)
    assert [entities(found) for found in batch] == [["Paris"], [], ["Germany"]]


def test_candidates_returns_a_fresh_list_each_call(kb):
    first = kb.candidates("Paris")
    first.clear()
    assert len(kb.candidates("Paris")) == 3


def test_ppr_candidates_ignore_file_order_where_gold_was_injected_first(kb):
    # File order: the football team (gold, inCount 800) first, then the rugby team, then the country (25,000).
    found = kb.ppr_candidates(3, "Argentina")
    assert entities(found) == [
        "Argentina",  # realistic prior 1.0 (title)
        "Argentina_national_football_team",  # prior 0, then by popularity
        "Argentina_national_rugby_union_team",
    ]
    assert [candidate.prior for candidate in found] == [1.0, 0.0, 0.0]


def test_ppr_candidates_serve_a_surface_aligned_by_gold_title(kb):
    # PPR wrote "Rio"; the AIDA mention "Rio de Janeiro" got that list through its gold title.
    assert entities(kb.ppr_candidates(3, "Rio de Janeiro")) == [
        "Rio_de_Janeiro",
        "Rio_Grande",
    ]
    assert kb.ppr_candidates(3, "Rio")[0].entity == "Rio_de_Janeiro"


def test_ppr_candidates_are_per_document(kb):
    assert entities(kb.ppr_candidates(2, "Paris")) == entities(kb.candidates("Paris"))
    assert kb.ppr_candidates(3, "Paris") == kb.candidates("Paris")  # doc 3 has no PPR "Paris": realistic


def test_ppr_candidates_fall_back_to_realistic_when_the_document_has_no_list(kb):
    assert kb.ppr_candidates(1, "Peter Blackburn") == kb.candidates("Peter Blackburn") == []
    assert kb.ppr_candidates(99, "Hilton") == kb.candidates("Hilton")


def test_entity_unknown_title_is_none(kb):
    assert kb.entity("Atlantis") is None
    assert kb.entity("Germany").page_id == 11867


def test_kb_is_read_only(kb):
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        kb._db.execute("DELETE FROM aliases")  # the only way in is the private connection


def test_kb_caches_per_instance(tiny_kb):
    with KB(tiny_kb.path) as first, KB(tiny_kb.path) as second:
        first.candidates("Paris")
        assert first._cached_candidates.cache_info().currsize == 1
        assert second._cached_candidates.cache_info().currsize == 0


def test_kb_missing_file_says_how_to_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="jointel kb build"):
        KB(tmp_path / "nothing.sqlite")


def test_kb_not_a_database_is_a_format_error(tmp_path):
    path = tmp_path / "kb.sqlite"
    path.write_text("not sqlite at all, but long enough to look like a header " * 4)
    with pytest.raises(KBFormatError, match=r"kb.sqlite: not a jointel knowledge base .*jointel kb build"):
        KB(path)


def test_kb_other_schema_version_is_a_format_error(tiny_kb, tmp_path):
    path = tmp_path / "old.sqlite"
    path.write_bytes(tiny_kb.path.read_bytes())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(KBFormatError, match="schema version 0, this jointel reads version 3"):
        KB(path)


def test_kb_path_with_uri_characters_opens(tiny_kb, tmp_path):
    path = tmp_path / "a dir?#%" / "kb.sqlite"
    path.parent.mkdir()
    path.write_bytes(tiny_kb.path.read_bytes())
    with KB(path) as kb:
        assert kb.candidates("Hilton")[0].entity == "Paris_Hilton"
