"""One entity per Wikipedia page: a PPRforNED title of the page of an AIDA gold title is that entity."""

import jointel.kb.build
from jointel.data import load_corpus
from jointel.kb import KB, build_kb
from jointel.kb.pages import renamed, same_page_titles
from jointel.kb.sources import PprCandidate, PprMention, read_ppr


def mention(entity, *candidates):
    listed = tuple(PprCandidate(title, page, 10, None) for title, page in candidates)
    return PprMention(1, "Nets", "Nets", entity, listed)


def test_a_ppr_title_of_a_gold_page_maps_to_the_gold_title():
    mentions = [mention("Brooklyn_Nets", ("Brooklyn_Nets", 72852), ("Nets_(band)", 5))]
    merged = same_page_titles(mentions, {"New_Jersey_Nets": 72852, "Other": 5}, {"New_Jersey_Nets"})
    assert merged == {"Brooklyn_Nets": "New_Jersey_Nets"}  # "Nets_(band)": its page has no gold title


def test_titles_that_gold_names_or_pages_with_two_gold_titles_stay_apart():
    mentions = [mention(None, ("Arbil", 24), ("Erbil", 24), ("Perugia", 7))]
    page_ids = {"Arbil": 24, "Perugia_Calcio": 7, "AC_Perugia": 7}
    merged = same_page_titles(mentions, page_ids, {"Arbil", "Erbil", "Perugia_Calcio", "AC_Perugia"})
    assert merged == {}  # Erbil is gold itself; page 7 has two gold titles: which one is it?


def test_renamed_maps_gold_and_candidates_and_keeps_a_title_once():
    mentions = [mention("Brooklyn_Nets", ("Brooklyn_Nets", 1), ("New_Jersey_Nets", 1), ("Nets_(band)", 5))]
    [result] = renamed(mentions, {"Brooklyn_Nets": "New_Jersey_Nets"})
    assert result.entity == "New_Jersey_Nets"
    assert [candidate.entity for candidate in result.candidates] == ["New_Jersey_Nets", "Nets_(band)"]


def test_build_kb_merges_a_ppr_title_into_the_aida_title_of_its_page(kb_data_dir, tmp_path, monkeypatch):
    # PPRforNED names AIDA's Germany page (id 11867) "Federal_Republic_of_Germany", as it does for renamed pages.
    def ppr_with_new_title(path):
        return renamed(read_ppr(path), {"Germany": "Federal_Republic_of_Germany"})

    monkeypatch.setattr(jointel.kb.build, "read_ppr", ppr_with_new_title)
    corpus = load_corpus(kb_data_dir)
    stats = build_kb(corpus, kb_data_dir, tmp_path / "kb.sqlite")
    with KB(stats.path) as kb:
        assert kb.entity("Federal_Republic_of_Germany") is None
        germany = kb.entity("Germany")
        assert (germany.page_id, germany.type, germany.in_count) == (11867, "GPE", 20000)  # PPR's facts
        assert kb.candidates("Federal Republic of Germany")[0].entity == "Germany"  # its other title is a name
        assert "Germany" in [candidate.entity for candidate in kb.ppr_candidates(1, "German")]
        assert kb.counts()["entities"] == 17
    assert stats.entities == 17


def test_renamed_leaves_nil_mentions_nil():
    [result] = renamed([mention(None, ("A", 1))], {"A": "B"})
    assert result.entity is None and result.candidates[0].entity == "B"
