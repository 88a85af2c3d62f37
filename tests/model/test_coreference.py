from jointel.data.documents import Span
from jointel.model.coreference import share_person_links
from jointel.model.joint import Prediction

RANDALL = (("Randall_Cunningham", 0.8), ("Randall,_New_York", 0.1))
KENNY = (("Kenny_Cunningham", 0.6), ("Randall_Cunningham", 0.3))


def _mention(start, end, label, candidates=(), nil=0.1):
    entity = candidates[0][0] if candidates else None
    score = candidates[0][1] if candidates else 1.0
    return Prediction(Span(start, end, label, entity), 0.9, score, candidates, nil if candidates else 1.0)


def test_a_surname_and_a_first_name_take_the_full_names_link_with_its_scores():
    tokens = [["Randall", "Cunningham", "threw", "."], ["CUNNINGHAM", "and", "Randall", "ran", "."]]
    full = _mention(0, 2, "PER", RANDALL, nil=0.05)
    rows = [[full], [_mention(0, 1, "PER", KENNY), _mention(2, 3, "PER", (("Randall", 0.7),))]]
    shared = share_person_links(rows, tokens)
    assert shared[0] == [full]
    for short, (start, end) in zip(shared[1], [(0, 1), (2, 3)], strict=True):
        assert (short.span.start, short.span.end, short.span.entity) == (start, end, "Randall_Cunningham")
        assert (short.el_score, short.candidates, short.nil_score, short.ner_score) == (0.8, RANDALL, 0.05, 0.9)


def test_the_full_name_may_come_later_and_the_first_one_with_candidates_wins():
    tokens = [["Cunningham", "scored", "."], ["S.", "Cunningham", "and", "Randall", "Cunningham", "."]]
    unknown = _mention(0, 2, "PER")  # "S. Cunningham": no candidates, so no evidence about "Cunningham"
    rows = [[_mention(0, 1, "PER", KENNY)], [unknown, _mention(3, 5, "PER", RANDALL)]]
    shared = share_person_links(rows, tokens)
    assert shared[0][0].span.entity == "Randall_Cunningham"
    assert shared[1] == rows[1]


def test_only_persons_and_only_runs_of_a_longer_name_are_read_as_it():
    tokens = [["Texas", "Rangers", "beat", "Texas", "."], ["John", "Paul", "Smith", "met", "John", "Smith", "."]]
    rangers = _mention(0, 2, "ORG", (("Texas_Rangers", 0.9),))
    state = _mention(3, 4, "LOC", (("Texas", 0.9),))
    john_paul = _mention(0, 3, "PER", (("John_Paul_Smith", 0.9),))
    john_smith = _mention(4, 6, "PER", (("John_Smith", 0.5),))  # not consecutive words of "John Paul Smith"
    rows = [[rangers, state], [john_paul, john_smith]]
    assert share_person_links(rows, tokens) == rows


def test_other_types_share_links_only_when_asked_and_only_within_their_type():
    tokens = [["Texas", "Rangers", "beat", "Texas", "and", "the", "Rangers", "."]]
    rangers = _mention(0, 2, "ORG", (("Texas_Rangers_(baseball)", 0.9),))
    state = _mention(3, 4, "LOC", (("Texas", 0.9),))
    short = _mention(6, 7, "ORG", (("Rangers_F.C.", 0.6),))
    rows = [[rangers, state, short]]
    assert share_person_links(rows, tokens) == rows
    shared = share_person_links(rows, tokens, labels=("PER", "ORG", "LOC"))
    assert [p.span.entity for p in shared[0]] == ["Texas_Rangers_(baseball)", "Texas", "Texas_Rangers_(baseball)"]


MALIVAI = (("MaliVai_Washington", 0.9), ("Anthony_Washington", 0.05))


def _people(rows, tokens):
    from jointel.model.coreference import name_people_in_part

    return share_person_links(name_people_in_part(rows, tokens), tokens)


def test_the_surname_of_a_person_the_kb_vouches_for_is_that_person_alone_too():
    """A one-word mention of another type is relabelled PER, an untagged capitalised word (or the surname in
    capitals) becomes a PER mention with the full name's NER score, and each takes the full name's link."""
    tokens = [
        ["MaliVai", "Washington", "won", "."],
        ["Washington", "beat", "Washington", "Redskins", "fans", "."],
        ["WASHINGTON", "WINS", "as", "washington", "rests", "."],
    ]
    full = _mention(0, 2, "PER", MALIVAI)
    city = _mention(0, 1, "LOC", (("Washington,_D.C.", 0.7),))
    team = _mention(2, 4, "ORG", (("Washington_Redskins", 0.9),))
    rows = [[full], [city, team], []]
    people = _people(rows, tokens)
    assert people[0] == [full]
    assert [(p.span.start, p.span.end, p.span.label, p.span.entity) for p in people[1]] == [
        (0, 1, "PER", "MaliVai_Washington"),
        (2, 4, "ORG", "Washington_Redskins"),  # a longer mention of another type keeps its own reading
    ]
    headline = people[2]  # the capitals are the surname; the lower-case word is not a name
    assert [(p.span.start, p.span.end, p.span.label, p.span.entity) for p in headline] == [
        (0, 1, "PER", "MaliVai_Washington")
    ]
    assert (headline[0].ner_score, headline[0].el_score, headline[0].candidates) == (0.9, 0.9, MALIVAI)


def test_a_full_name_the_kb_does_not_vouch_for_names_nobody():
    """A person without candidates ("Lebed Chechnya", a parse error), or whose best candidate's title lacks the
    surname, leaves the document's other words as the parser read them."""
    tokens = [["Lebed", "Chechnya", "talks", "."], ["Chechnya", "and", "Smith", "."], ["John", "Smith", "left", "."]]
    rows = [
        [_mention(0, 2, "PER")],
        [_mention(0, 1, "LOC", (("Chechnya", 0.9),))],
        [_mention(0, 2, "PER", (("John_Smyth", 0.6),))],
    ]
    assert _people(rows, tokens) == rows
