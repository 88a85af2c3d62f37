"""The gazetteer of Wikipedia's names (`gazetteer_source: wikipedia`): kinds by ambiguity, read per document."""

import logging
import shutil
from dataclasses import replace

import pytest
import torch

from jointel.kb import KB, normalize
from jointel.kb.extend import add_entities
from jointel.kb.lookup import names_kb
from jointel.kb.records import EntityRecord
from jointel.kb.slice import slice_for_lookups
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.gazetteer import (
    AMBIGUITY_KINDS,
    GAZETTEER_TYPES,
    Gazetteer,
    TitleGazetteer,
    ambiguity_kind,
    n_gazetteer_codes,
)
from jointel.model.inputs import KBAccess, gold_features
from jointel.model.joint import JointModel
from jointel.model.tokens import TokenIds
from jointel.model.vocab import build_vocabs

# "Paris Hilton" names 1 entity of the tiny Wikipedia KB, "EU" 2, "Paris" 4, "NYSE" 1.
SENTENCE = ("Paris", "Hilton", "left", "Paris", "for", "the", "EU", "and", "NYSE", "traders")
# kinds 0 (1 entity), 1 (2-3), 2 (4-9): 1 + 2·kind on a name's first word, 2 + 2·kind on the words after it
CODES = (1, 2, 0, 5, 0, 0, 3, 0, 1, 0)


def test_ambiguity_kinds_are_one_two_to_three_four_to_nine_and_more():
    kinds = [ambiguity_kind(n) for n in (1, 2, 3, 4, 9, 10, 500)]
    assert kinds == ["one", "2-3", "2-3", "4-9", "4-9", "10+", "10+"]
    # as many kinds as types: a title gazetteer's codes are as many as a typed one's
    assert len(AMBIGUITY_KINDS) == len(GAZETTEER_TYPES)


def test_a_title_gazetteer_marks_names_by_how_many_entities_they_may_be(tiny_wikipedia_kb):
    with KB(tiny_wikipedia_kb.path) as kb:
        document = TitleGazetteer(kb).for_document([SENTENCE, ("Rio", "de", "Janeiro")])
        assert document.codes(SENTENCE) == CODES
        assert document.codes(("Rio", "de", "Janeiro")) == (1, 2, 2)
        # no document's links hide a title: the tiny KB's AIDA aliases come from its train documents' links
        assert document.codes(SENTENCE, own={"paris hilton": 5.0}) == CODES


def test_the_typed_gazetteer_reads_the_whole_table_for_every_document():
    gazetteer = Gazetteer({"paris": ("GPE", 2.0)})
    assert gazetteer.for_document([SENTENCE]) is gazetteer


def test_a_model_reads_wikipedias_names_from_the_cache_when_its_kb_is_the_aida_kb(
    tiny_kb, tiny_wikipedia_kb, tmp_path, monkeypatch
):
    shutil.copy(tiny_wikipedia_kb.path, tmp_path / "kb-wikipedia.sqlite")
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path))
    config = ModelConfig(gazetteer_source="wikipedia")
    with KB(tiny_kb.path) as aida, KB(tiny_wikipedia_kb.path) as wikipedia:
        assert names_kb(wikipedia) is wikipedia
        assert names_kb(aida).path == (tmp_path / "kb-wikipedia.sqlite").resolve()
        gazetteer = KBAccess.for_model(aida, "realistic", config).gazetteer
        assert gazetteer.for_document([SENTENCE]).codes(SENTENCE) == CODES
        # the AIDA KB's own gazetteer types its aliases instead: Paris is a GPE (1 + 2·2)
        typed = KBAccess.for_model(aida, "realistic", ModelConfig()).gazetteer
        assert typed.for_document([SENTENCE]).codes(SENTENCE)[3] == 5


def test_names_a_user_added_to_the_kb_in_use_count_beside_wikipedias(tiny_kb, tiny_wikipedia_kb, tmp_path, monkeypatch):
    shutil.copy(tiny_wikipedia_kb.path, tmp_path / "kb-wikipedia.sqlite")
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path))
    mine = add_entities(tiny_kb.path, [EntityRecord("Zorblax_Dynamics", ("Zorblax",), "ORG")], tmp_path / "mine.sqlite")
    tokens = ("Zorblax", "and", "Paris", "Hilton")
    with KB(mine.path) as kb:
        gazetteer = KBAccess.for_model(kb, "realistic", ModelConfig(gazetteer_source="wikipedia")).gazetteer
        assert gazetteer.kb.path != kb.path  # the names are Wikipedia's, and the user's too
        assert gazetteer.for_document([tokens]).codes(tokens) == (1, 0, 1, 2)


def test_without_a_wikipedia_kb_the_names_are_the_kbs_own_and_a_warning_says_how_to_build_it(
    tiny_kb, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path))
    with KB(tiny_kb.path) as aida, caplog.at_level(logging.WARNING):
        assert names_kb(aida) is aida
    assert "no Wikipedia KB is built" in caplog.text and "make wikipedia-kb" in caplog.text


def test_a_slice_keeps_what_the_title_gazetteer_reads(tiny_wikipedia_kb, tmp_path):
    keys = {normalize(" ".join(SENTENCE[i:j])) for i in range(len(SENTENCE)) for j in range(i + 1, len(SENTENCE))}
    sliced = slice_for_lookups(tiny_wikipedia_kb.path, tmp_path / "slice.sqlite", {"nyse"}, keys, k=30)
    with KB(sliced) as kb:
        assert TitleGazetteer(kb).for_document([SENTENCE]).codes(SENTENCE) == CODES
        assert kb.alias_entities(["paris", "eu", "nyse", "rio de janeiro"]) == {
            "paris": (4, "GPE"),
            "eu": (2, "ORG"),
            "nyse": (1, None),
        }


def test_config_names_the_gazetteer_sources():
    with pytest.raises(ConfigError, match="gazetteer_source must be one of kb, wikipedia, wikipedia-typed, not 'ti"):
        ModelConfig(gazetteer_source="titles")


def test_alias_entities_are_the_same_when_memoised_and_unknown_keys_stay_unknown(tiny_wikipedia_kb):
    with KB(tiny_wikipedia_kb.path) as kb:
        first = kb.alias_entities(["paris", "no such name", "eu"])
        again = kb.alias_entities(["eu", "no such name", "paris", "nyse"])
    assert first == {"paris": (4, "GPE"), "eu": (2, "ORG")}
    assert again == {"paris": (4, "GPE"), "eu": (2, "ORG"), "nyse": (1, None)}


def test_a_typed_title_gazetteer_marks_names_by_their_top_entitys_type_and_one_or_many(tiny_wikipedia_kb):
    # kinds: PER 0, ORG 1, GPE 2, untyped 3 for one entity; 4-7 for several (1 + 2·kind on a first word)
    with KB(tiny_wikipedia_kb.path) as kb:
        gazetteer = TitleGazetteer(kb, typed=True).for_document([SENTENCE])
    assert gazetteer.codes(SENTENCE) == (1, 2, 0, 13, 0, 0, 11, 0, 7, 0)
    assert n_gazetteer_codes("wikipedia-typed") == 17 and n_gazetteer_codes("wikipedia") == 9


def test_a_match_ends_on_a_word_only_when_asked():
    tokens = ("Germany", "beat", "Paris", "Saint", "Germain", ".")
    table = {"germany": ("GPE", 1.0), "paris saint germain": ("ORG", 1.0)}
    # "Paris Saint Germain ." normalises to the name's key; the full stop is marked too unless matches end on a word
    assert Gazetteer(table).codes(tokens) == (5, 0, 3, 4, 4, 4)
    assert Gazetteer(table, word_end=True).codes(tokens) == (5, 0, 3, 4, 4, 0)


def test_a_model_of_typed_titles_embeds_all_their_codes(tiny_wikipedia_kb, tiny_config):
    config = replace(tiny_config, gazetteer_source="wikipedia-typed", candidate_protocol="realistic")
    documents = list(tiny_wikipedia_kb.corpus["train"])
    with KB(tiny_wikipedia_kb.path) as kb:
        access = KBAccess.for_model(kb, "realistic", config)
        model = JointModel(config, build_vocabs(documents, [], access.protocol.candidates))
        features = gold_features(documents, TokenIds(model.vocabs["words"], model.vocabs["chars"]), access)
    assert model.encoder.gazetteer.num_embeddings == 17
    assert max(code for feature in features for code in feature.gazetteer) > 8  # a name of several entities
    assert torch.isfinite(model.loss(model.batch(features)).total)
