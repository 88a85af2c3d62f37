import numpy as np
import pytest

from jointel.kb import Candidate
from jointel.model.candidate_features import (
    CONTEXT_COLUMNS,
    candidate_features,
    document_context,
    title_words,
    topic_words,
)
from jointel.model.tokens import COMMON_WORDS, TokenIds, casing, document_casing, document_words
from jointel.model.vocab import Vocab


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
    assert context[1] == pytest.approx((0.95, 0.9, 0.0, 0.0, 0.0))
    assert context[0].tolist() == [0.0] * len(CONTEXT_COLUMNS)
    # "Phil Simmons" itself: coherence of Phil_Simmons comes from Leicestershire only; nothing contains it.
    assert contexts[0][1][0] == pytest.approx((0.05, 0.0, 0.0, 0.0, 0.0))


def test_document_context_link_coherence():
    """A candidate linked with the other surfaces' candidates gets their best prior and their share."""
    munich = [Candidate("Munich", 0.8, 9.0, "GPE"), Candidate("Munich_(film)", 0.2, 5.0, None)]
    bayern = [Candidate("FC_Bayern_Munich", 0.9, 8.0, "ORG"), Candidate("Bayern", 0.1, 7.0, "GPE")]
    kahn = [Candidate("Oliver_Kahn", 0.6, 6.0, "PER")]
    links = {("Munich", "FC_Bayern_Munich"), ("Munich", "Bayern"), ("FC_Bayern_Munich", "Oliver_Kahn")}
    asked = []

    def links_among(titles):  # as KB.link_pairs answers: positions in `titles`, both ways
        asked.append(set(titles))
        found = [(i, j) for i, one in enumerate(titles) for j, other in enumerate(titles) if (one, other) in links]
        return np.array(found + [(j, i) for i, j in found]).reshape(-1, 2)

    mentions = [("Munich", munich), ("Bayern", bayern), ("Kahn", kahn), ("Munich", munich), ("Zorblatt", [])]
    contexts = document_context(mentions, links_among=links_among)
    assert len(asked) == 1  # one KB query for the whole document
    (_, munich_context), (_, bayern_context), (_, kahn_context), (_, again), _ = contexts
    # Munich links with both Bayern candidates (best prior 0.9) and none of Kahn's: 1 of 2 other surfaces (a surface
    # without candidates is none of them).
    assert munich_context[0][2:4] == pytest.approx((0.9, 0.5))
    assert munich_context[1][2:4].tolist() == [0.0, 0.0]
    assert np.array_equal(again, munich_context)  # the same surface never votes for itself
    # FC_Bayern_Munich: Munich (0.8) and Kahn (0.6); Bayern the region: Munich only.
    assert bayern_context[0][2:4] == pytest.approx((1.4, 1.0))
    assert bayern_context[1][2:4] == pytest.approx((0.8, 0.5))
    # Oliver_Kahn links with FC_Bayern_Munich only.
    assert kahn_context[0][2:4] == pytest.approx((0.9, 0.5))
    # Munich_(film) links with no candidate of the document: its silence is flagged, not read as evidence.
    isolated = CONTEXT_COLUMNS.index("link_isolated")
    assert munich_context[:, isolated].tolist() == [0.0, 1.0]
    assert [*bayern_context[:, isolated], *kahn_context[:, isolated]] == [0.0, 0.0, 0.0]


def test_candidate_features_of_a_document_mention_after_mention():
    """Prior, popularity, rank within its mention, name match and word overlap, then the context columns."""
    paris = [Candidate("Paris", 0.6, 9.0, "GPE"), Candidate("Paris_Hilton", 0.0, 7.0, "PER")]
    hilton = [Candidate("Hilton_Hotels", 1.0, 5.0, "ORG")]
    context = np.array([[1.5, 0.0, 3.0, 0.5, 0.0], [0.0, 0.2, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    features = candidate_features(["paris", "hilton"], [paris, hilton], context)
    assert features.shape == (3, 11) and features.dtype == np.float32
    expected = [
        [np.log(0.6001), 0.9, 1.0, 1.0, 1.0, 0.0, np.log1p(1.5), 0.0, np.log1p(3.0), 0.5, 0.0],
        [np.log(1e-4), 0.7, 0.5, 0.0, 0.5, 1.0, 0.0, 0.2, 0.0, 0.0, 1.0],  # "paris" is one word of two in common
        [np.log(1.0001), 0.5, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # the first of its own mention
    ]
    assert features == pytest.approx(np.array(expected, dtype=np.float32))
    assert candidate_features([], [], np.zeros((0, 5))).shape == (0, 11)


def test_title_words_drops_the_qualifier():
    assert title_words("Paris_Saint-Germain_F.C.") == ("paris", "saint", "germain", "f", "c")
    assert title_words("Paris_(band)") == ("paris",)


def test_topic_words_keep_the_qualifier():
    assert topic_words("Nelson_(cricket)") == ("nelson", "cricket")
    assert topic_words("England_national_cricket_team") == ("england", "national", "cricket", "team")


def test_document_words_are_the_distinct_known_content_words():
    common = [f"w{i}" for i in range(COMMON_WORDS)]
    words = Vocab.build([*common, "cricket", "innings", "england"])
    ids = TokenIds(words, Vocab())
    got = document_words([["England", "won", "the", "cricket"], ["w0", "CRICKET", "innings", "zzz"]], ids)
    # "won", "the" and "zzz" are unknown (UNK is left out); "w0" is among the commonest; "cricket" counts once.
    assert [words.items[i] for i in got] == ["cricket", "innings", "england"]


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
    assert contexts[1][1].tolist() == [[0.0] * len(CONTEXT_COLUMNS)]


def test_gazetteer_marks_longest_alias_with_its_type():
    from jointel.model.gazetteer import Gazetteer

    table = {"rio de janeiro": ("GPE", 3.0), "rio": ("ORG", 1.0), "argentina": (None, 2.0)}
    codes = Gazetteer(table).codes(["Germany", "beat", "Argentina", "in", "Rio", "de", "Janeiro"])
    # GPE is type 2: first word 1 + 2·2 = 5, later words 6; Argentina has no type (3): 7.
    assert codes == (0, 0, 7, 0, 5, 6, 6)


def test_gazetteer_hides_aliases_only_the_document_supports():
    from jointel.model.gazetteer import Gazetteer

    gazetteer = Gazetteer({"rio de janeiro": ("GPE", 3.0), "rio": ("ORG", 1.0)})
    tokens = ["Rio", "de", "Janeiro"]
    # Three own links are all the evidence for "rio de janeiro": the shorter "Rio" (ORG, type 1) matches instead.
    assert gazetteer.codes(tokens, {"rio de janeiro": 3.0}) == (3, 0, 0)


def test_document_casing_reads_the_words_case_elsewhere_in_the_document():
    headline = ("JAPAN", "GET", "LUCKY", "WIN", ",", "CHINA", "IN", "SURPRISE", "DEFEAT", ".")
    story = ("Japan", "began", "the", "defence", "of", "their", "title", "against", "China", ".")
    other = ("Surprise", "was", "a", "surprise", "in", "Japan", ".")
    codes = document_casing([headline, story, other])
    # JAPAN, CHINA: capitalised mid-sentence elsewhere; IN, SURPRISE: lower-case elsewhere; GET, LUCKY, WIN,
    # DEFEAT: never in running text (a sentence's first word and all-capital words say nothing of case).
    assert codes[0] == (1, 0, 0, 0, 0, 1, 2, 2, 0, 0)
    assert codes[1][0] == 1  # a sentence's first word, known from the other sentences
    assert codes[2][:2] == (2, 2)  # "Surprise" starts its sentence; "surprise" follows in lower case


def test_sentence_features_without_spans_take_the_oracles_actions():
    """Unseen text has no spans: every token is OUT, as the oracle says (and its actions are computed for free)."""
    from jointel.data import Sentence, Span
    from jointel.model.actions import OUT_ID, action_id
    from jointel.model.features import sentence_features
    from jointel.model.transitions import oracle

    ids = TokenIds(Vocab.build(["paris"]), Vocab())
    plain = sentence_features(Sentence(("Paris", "is", "big")), ids).actions
    assert plain == tuple(action_id(a.op, a.label) for a in oracle(3, ())) == (OUT_ID,) * 3
    tagged = sentence_features(Sentence(("Paris", "is", "big"), (Span(0, 1, "LOC"),)), ids).actions
    assert tagged == tuple(action_id(a.op, a.label) for a in oracle(3, (Span(0, 1, "LOC"),)))
    assert tagged != plain
