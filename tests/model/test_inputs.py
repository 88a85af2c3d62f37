from collections import Counter

import numpy as np
import pytest

from jointel.kb import KB, Candidate, PPRCandidates, RealisticCandidates
from jointel.model.actions import OUT_ID
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.inputs import (
    HeldOut,
    KBAccess,
    decoding_features,
    gold_candidate_sets,
    gold_features,
    own_links,
    predicted_candidate_sets,
)
from jointel.model.tokens import TokenIds


def candidates():
    # alias total 10: Paris score 6 (4 own links + 2 elsewhere), Paris_Hilton 3, Paris_(band) 1
    return [
        Candidate("Paris", 0.6, 9.0, "GPE"),
        Candidate("Paris_Hilton", 0.3, 7.0, "PER"),
        Candidate("Paris_(band)", 0.1, 2.0, None),
    ]


def test_held_out_removes_the_documents_own_links_from_the_prior():
    kept = HeldOut(lambda alias: 10.0, drop_unsupported=True).remove(candidates(), "Paris", Counter({"Paris": 4}))
    # without the 4 own links: total 6 → Paris 2/6, Paris_Hilton 3/6, Paris_(band) 1/6; re-ranked by prior
    assert [c.entity for c in kept] == ["Paris_Hilton", "Paris", "Paris_(band)"]
    assert [c.prior for c in kept] == pytest.approx([0.5, 1 / 3, 1 / 6])


def test_held_out_drops_candidates_only_this_document_supported():
    own = Counter({"Paris": 6})  # every Paris link of the alias came from this document
    realistic = HeldOut(lambda alias: 10.0, drop_unsupported=True).remove(candidates(), "Paris", own)
    assert [c.entity for c in realistic] == ["Paris_Hilton", "Paris_(band)"]
    ppr = HeldOut(lambda alias: 10.0, drop_unsupported=False).remove(candidates(), "Paris", own)
    assert [(c.entity, c.prior) for c in ppr][-1] == ("Paris", 0.0)  # PPR lists keep it, with no prior


def test_held_out_without_own_links_changes_nothing():
    assert HeldOut(lambda alias: 10.0, True).remove(candidates(), "Paris", Counter()) == candidates()


def test_a_gold_free_document_takes_every_gold_link_out_of_its_priors():
    gold = {"paris": {"Paris": 5.0, "Paris_Hilton": 1.0}}  # AIDA's links: 4 of Paris from this document, 1 elsewhere

    def held_out(rate):
        return HeldOut(lambda alias: 10.0, True, lambda key: gold.get(key, {}), gold_free_rate=rate, seed=3)

    own = {"paris": Counter({"Paris": 4})}
    always, never = held_out(1.0).links_out(7, own), held_out(0.0).links_out(7, own)
    assert always("paris") == gold["paris"] and never("paris") == own["paris"]
    kept = held_out(1.0).remove(candidates(), "Paris", always("paris"))
    # name evidence alone: total 10 - 6 = 4 → Paris 1/4, Paris_Hilton 2/4, Paris_(band) 1/4
    assert [(c.entity, c.prior) for c in kept] == [("Paris_Hilton", 0.5), ("Paris", 0.25), ("Paris_(band)", 0.25)]
    # which documents: a share of them, by seed and document alone
    chosen = [held_out(0.3).links_out(number, own)("paris") == gold["paris"] for number in range(1000)]
    assert 250 < sum(chosen) < 350
    assert chosen == [held_out(0.3).links_out(number, own)("paris") == gold["paris"] for number in range(1000)]


def test_the_kb_gives_an_aliases_gold_links_as_aida_train_has_them(tiny_kb):
    expected: Counter[str] = Counter()
    for document in tiny_kb.corpus["train"]:
        expected.update(own_links(document).get("paris", Counter()))
    with KB(tiny_kb.path) as kb:
        assert kb.alias_gold_counts("Paris") == pytest.approx(dict(expected))
        assert expected and kb.alias_gold_counts("no such alias") == {}


def _token_ids(vocabs):
    return TokenIds(vocabs["words"], vocabs["chars"])


def _link_features(access, documents, vocabs, held_out):
    """Per candidate of the first document's gold mentions: its link features (log1p link prior, share, isolated)."""
    features = gold_features(documents[:1], _token_ids(vocabs), access, held_out=held_out)
    return {
        entity: tuple(row[-3:])
        for sentence in features
        for candidates in sentence.candidates
        for entity, row in zip(candidates.entities, candidates.features.tolist(), strict=True)
    }


def test_training_documents_do_without_the_links_only_their_own_list_has(tiny_kb, tiny_documents, tiny_vocabs):
    """Doc 1 (train) is the only list linking Germany and the EU: held out, neither links; evaluated, both do."""
    held_out = HeldOut(lambda alias: 0.0, drop_unsupported=False)
    with KB(tiny_kb.path) as kb:
        realistic = KBAccess.open(kb, "realistic", 30, with_gazetteer=False, with_links=True)
        ppr = KBAccess.open(kb, "ppr", 30, with_gazetteer=False, with_links=True)
        seen = _link_features(realistic, tiny_documents, tiny_vocabs, None)
        hidden = _link_features(realistic, tiny_documents, tiny_vocabs, held_out)
        own_list = _link_features(ppr, tiny_documents, tiny_vocabs, held_out)
    assert seen["Germany"][1:] == seen["European_Union"][1:] == (1.0, 0.0)  # the one other surface links
    assert hidden["Germany"] == hidden["European_Union"] == (0.0, 0.0, 1.0)  # and now they link with nothing
    assert own_list["Germany"][1:] == (1.0, 0.0)  # the PPR protocol reads the document's own list, in training too


def _string_match(access, documents, vocabs):
    """Per (candidate, exact name match, word overlap) row of every gold mention's candidate set."""
    return {
        (entity, row[3], row[4])
        for sentence in gold_features(documents, _token_ids(vocabs), access)
        for candidates in sentence.candidates
        for entity, row in zip(candidates.entities, candidates.features.tolist(), strict=True)
    }


def test_string_match_features_compare_the_normalised_mention_with_the_title(tiny_kb, tiny_documents, tiny_vocabs):
    """The mention "Germany" names Germany exactly and shares one word of the four of "Germany national football
    team"; models saved before `normalized_match` compared the raw surface with the normalised title: no match."""
    with KB(tiny_kb.path) as kb:
        normalised = _string_match(KBAccess.open(kb, "ppr", 30), tiny_documents, tiny_vocabs)
        raw = _string_match(KBAccess.open(kb, "ppr", 30, normalized_match=False), tiny_documents, tiny_vocabs)
    assert ("Germany", 1.0, 1.0) in normalised
    assert ("Germany_national_football_team", 0.0, 0.25) in normalised  # 1 word shared of 4
    assert ("Germany", 0.0, 0.0) in raw
    assert {exact for _, exact, _ in raw} == {0.0}  # a capitalised name never equals a casefolded title


def _token_features(sentence):
    return (
        sentence.words,
        sentence.chars,
        sentence.casing,
        sentence.gazetteer,
        sentence.document_casing,
        sentence.contextual.tolist(),
    )


def test_decoding_and_gold_features_read_the_tokens_alike(tiny_kb, tiny_documents, tiny_vocabs):
    """The point of one builder: the parser decodes the very token features it was trained on; only the gold
    actions, spans and candidate sets tell the two modes apart."""
    token_ids = _token_ids(tiny_vocabs)
    vectors = [  # a stand-in for contextual vectors: (document index, sentence index, token index)
        [
            np.array([[d, s, t] for t in range(len(sentence.tokens))], np.float32)
            for s, sentence in enumerate(doc.sentences)
        ]
        for d, doc in enumerate(tiny_documents)
    ]
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "realistic", 30, with_links=True)
        decoding = decoding_features([d.sentences for d in tiny_documents], token_ids, access, vectors)
        gold = gold_features(tiny_documents, token_ids, access, vectors)
    assert [_token_features(s) for s in decoding] == [_token_features(s) for s in gold]
    assert any(any(s.gazetteer) for s in gold) and any(any(s.document_casing) for s in gold)  # compared, not empty
    assert sum(len(s.spans) for s in gold) == sum(len(s.candidates) for s in gold) > 0
    assert all(not s.spans and not s.candidates and set(s.actions) <= {OUT_ID} for s in decoding)  # no gold leaks


def test_predicted_mentions_get_the_candidate_sets_of_gold_ones_without_their_entity(
    tiny_kb, tiny_documents, tiny_vocabs
):
    """A mention the parser finds on a gold span is linked with the candidates and features training gave it."""
    document = tiny_documents[0]
    token_ids = _token_ids(tiny_vocabs)
    mentions = [(s.tokens, span) for s in document.sentences for span in sorted(s.spans, key=lambda span: span.start)]
    tokens = [sentence.tokens for sentence in document.sentences]
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30, with_links=True)
        gold = [c for row in gold_candidate_sets(document, token_ids, access) for c in row]
        predicted = predicted_candidate_sets(document.number, tokens, mentions, token_ids, access)
    assert len(predicted) == len(gold) == len(mentions) > 0
    for found, expected in zip(predicted, gold, strict=True):
        assert (found.entities, found.document) == (expected.entities, expected.document)
        assert np.array_equal(found.features, expected.features) and np.array_equal(found.types, expected.types)
        assert found.gold == -1  # no entity to learn from
    assert any(expected.gold >= 0 for expected in gold)


def _name_only(rate, nil="keep", seed=1):
    from jointel.model.inputs import NameOnly

    return NameOnly(rate, nil, 3.3, lambda titles: {t for t in titles if t in {"Paris_(band)", "Nvidia"}}, seed)


def _mention_contexts():
    paris = (candidates(), np.array([[0.0, 0.0, 2.0, 0.5, 0.0]] * 3))
    nvidia = ([Candidate("Nvidia", 1.0, 3.3, None)], np.zeros((1, 5)))
    return [paris, nvidia]


def test_name_only_shows_a_gold_entity_as_one_known_by_name_alone():
    """Rate 1: the gold Paris gets the popularity of most name-only entities and no Wikipedia links; its rivals and
    its prior stay as they were."""
    given = _mention_contexts()
    (paris, context), _ = _name_only(1.0).shown(7, ["Paris", "NVIDIA"], ["Paris", None], given, [1, 1])[0]
    assert [(c.entity, c.prior, c.popularity) for c in paris] == [
        ("Paris", 0.6, 3.3),
        ("Paris_Hilton", 0.3, 7.0),
        ("Paris_(band)", 0.1, 2.0),
    ]
    assert context[:, 2:].tolist() == [[0, 0, 1], [2, 0.5, 0], [2, 0.5, 0]]  # link prior, share, isolated
    assert given[0][1][0].tolist() == [0.0, 0.0, 2.0, 0.5, 0.0]  # the document's own rows stay as they were


def test_name_only_rate_is_a_share_of_mentions_drawn_the_same_way_each_time():
    """About `rate` of the gold mentions, and the same ones for the same seed, document and place."""
    contexts = [_mention_contexts()[0]] * 2000
    surfaces, golds = ["Paris"] * 2000, ["Paris"] * 2000

    def shown(seed):
        lists, _ = _name_only(0.3, seed=seed).shown(7, surfaces, golds, contexts, [True] * 2000)
        return [candidates[0].popularity == 3.3 for candidates, _ in lists]

    assert 0.27 < sum(shown(1)) / 2000 < 0.33
    assert shown(1) == shown(1) != shown(2)


@pytest.mark.parametrize(("nil", "kept"), [("keep", [True, True]), ("exact", [True, False]), ("any", [False, False])])
def test_name_only_nil_decides_which_nil_mentions_take_a_linking_loss(nil, kept):
    """NIL "NVIDIA" whose candidate Nvidia only Wikipedia knows, by that very name: AIDA's NIL may be stale, no loss
    unless "keep". NIL "Paris", whose name-only candidate Paris_(band) is a qualified namesake: no loss with "any"
    only."""
    _, shown = _name_only(0.0, nil).shown(7, ["Paris", "NVIDIA"], [None, None], _mention_contexts(), [True, True])
    assert shown == kept


def test_kb_tells_entities_known_by_name_alone(tiny_kb, tmp_path):
    """An entity a user added has no page id, in-links or Freebase score; those of the AIDA KB have."""
    from jointel.kb.extend import DEFAULT_POPULARITY, add_entities
    from jointel.kb.records import EntityRecord

    with KB(tiny_kb.path) as kb:
        assert kb.name_only(["Paris", "Paris_Hilton", "Nowhere"]) == set()
        assert kb.name_only_popularity() == 0.0
    add_entities(tiny_kb.path, [EntityRecord("Zorblax_Dynamics", ("Zorblax",), "ORG")], tmp_path / "mine.sqlite")
    with KB(tmp_path / "mine.sqlite") as kb:
        assert kb.name_only(["Paris", "Zorblax_Dynamics"]) == {"Zorblax_Dynamics"}
        assert kb.name_only_popularity() == DEFAULT_POPULARITY


def test_held_out_priors_drop_unsupported_candidates_only_where_lists_come_from_link_counts(tiny_kb):
    with KB(tiny_kb.path) as kb:
        assert HeldOut.under(kb, RealisticCandidates(kb, 30)).drop_unsupported
        assert not HeldOut.under(kb, PPRCandidates(kb, 30)).drop_unsupported


def test_the_gold_free_rate_is_a_share():
    with pytest.raises(ConfigError, match=r"gold_free_prior_rate is a share of training documents: in \[0, 1\]"):
        ModelConfig(gold_free_prior_rate=1.5)
