"""Coarse types guessed from titles, for Wikipedia's untyped entities."""

from jointel.kb.types import TypeGuesser, held_out_accuracy, title_features

TITLES = [
    ("Birmingham,_Alabama", "GPE"),
    ("Mobile,_Alabama", "GPE"),
    ("Paris,_Texas", "GPE"),
    ("Austin,_Texas", "GPE"),
    ("Jana_Novotna", "PER"),
    ("Steffi_Graf", "PER"),
    ("Monica_Seles", "PER"),
    ("United_Airlines", "ORG"),
    ("Delta_Air_Lines", "ORG"),
    ("American_Airlines", "ORG"),
    ("1996_Summer_Olympics", None),
    ("1992_Summer_Olympics", None),
]


def test_title_features_name_words_ending_and_qualifier():
    assert title_features("Birmingham,_Alabama") == [
        "w:birmingham",
        "last:birmingham",
        "end:ham",
        "first:birmingham",
        "n:1",
        "q:alabama",
    ]
    assert "digit" in title_features("1996_Summer_Olympics")


def test_type_guesser_learns_qualifiers_and_words_and_abstains_when_unsure():
    guesser = TypeGuesser.train([title for title, _ in TITLES], [kind for _, kind in TITLES], min_confidence=0.6)
    assert guesser.guess("dothan,_alabama") == "GPE"
    assert guesser.guess("frontier_airlines") == "ORG"
    assert guesser.guess("2000_summer_olympics") is None  # UNK, the fourth class, stays untyped
    assert abs(sum(guesser.posterior("zzz").values()) - 1.0) < 1e-9
    assert TypeGuesser.train(["A", "B"], ["PER", "GPE"], min_confidence=0.99).guess("c") is None


def test_held_out_accuracy_counts_guesses_of_typed_entities():
    report = held_out_accuracy([title for title, _ in TITLES] * 3, [kind for _, kind in TITLES] * 3, every=4)
    assert report["typed_entities"] == 9  # indices 0, 4, …, 32: titles 0, 4 and 8 of each copy
    assert 0.0 < report["guessed"] <= 1.0
    assert report["accuracy_of_guesses"] == 1.0
