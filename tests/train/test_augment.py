"""Mention replacement: training stories read again with names of the same type drawn from other stories."""

import dataclasses

import pytest

from jointel.data.documents import Document, Sentence, Span
from jointel.model.config import ConfigError
from jointel.train.augment import mention_names, swapped_documents, wikipedia_names

CRICKET = Document(
    "1 CRICKET",
    "train",
    (
        Sentence(
            ("West", "Indian", "Phil", "Simmons", "took", "four", "as", "Leicestershire", "won", "."),
            (
                Span(0, 2, "MISC", "West_Indies"),
                Span(2, 4, "PER", "Phil_Simmons"),
                Span(7, 8, "ORG", "Leicestershire_County_Cricket_Club"),
            ),
        ),
    ),
)
TENNIS = Document(
    "2 TENNIS",
    "train",
    (
        Sentence(
            ("Steffi", "Graf", "beat", "Monica", "Seles", "in", "New", "York", "."),
            (
                Span(0, 2, "PER", "Steffi_Graf"),
                Span(3, 5, "PER", "Monica_Seles"),
                Span(6, 8, "LOC", "New_York_City"),
            ),
        ),
    ),
)


def names_of(sentence: Sentence) -> list[tuple[tuple[str, ...], str]]:
    return [(sentence.tokens[span.start : span.end], span.label) for span in sentence.spans]


def test_names_are_listed_once_by_type():
    names = mention_names([CRICKET, TENNIS])
    assert names["PER"] == [("Phil", "Simmons"), ("Steffi", "Graf"), ("Monica", "Seles")]
    assert names["LOC"] == [("New", "York")]


def test_every_swapped_name_is_a_training_name_of_its_type_and_copies_teach_the_parser_only():
    names = mention_names([CRICKET, TENNIS])
    copies = swapped_documents([CRICKET, TENNIS], 1.0, seed=1)
    assert [copy.id for copy in copies] == ["1 CRICKET swapped", "2 TENNIS swapped"]
    assert [copy.number for copy in copies] == [1, 2]  # candidate protocols read the story's number
    for original, copy in zip([CRICKET, TENNIS], copies, strict=True):
        (before,), (after,) = original.sentences, copy.sentences
        assert [label for _, label in names_of(after)] == [label for _, label in names_of(before)]
        assert all(name in names[label] for name, label in names_of(after))
        assert all(span.entity is None and not span.is_annotated for span in after.spans)  # no linking loss
        outside = [t for i, t in enumerate(after.tokens) if not any(s.start <= i < s.end for s in after.spans)]
        assert outside == [
            t for i, t in enumerate(before.tokens) if not any(s.start <= i < s.end for s in before.spans)
        ]
    # at rate 1 every name with another of its type is swapped for one of those; the only MISC, ORG and LOC stay
    assert [name for name, _ in names_of(copies[0].sentences[0])][::2] == [("West", "Indian"), ("Leicestershire",)]
    assert names_of(copies[0].sentences[0])[1][0] in [("Steffi", "Graf"), ("Monica", "Seles")]
    first, second = (name for name, _ in names_of(copies[1].sentences[0])[:2])
    assert first != ("Steffi", "Graf") and second != ("Monica", "Seles")
    assert names_of(copies[1].sentences[0])[2] == (("New", "York"), "LOC")


def test_swapping_is_a_function_of_the_seed_and_none_at_rate_zero():
    corpus = [CRICKET, TENNIS] * 3
    corpus = [dataclasses.replace(document, id=f"{i} {document.id}") for i, document in enumerate(corpus)]
    assert swapped_documents(corpus, 0.5, seed=1) == swapped_documents(corpus, 0.5, seed=1)
    assert swapped_documents(corpus, 0.5, seed=1) != swapped_documents(corpus, 0.5, seed=2)
    assert swapped_documents(corpus, 0.0, seed=1) == []


def test_the_rate_is_a_share(tiny_config):
    with pytest.raises(ConfigError, match=r"mention_swap_rate is a share of training mentions: in \[0, 1\], not 1.5"):
        dataclasses.replace(tiny_config, mention_swap_rate=1.5)


def test_the_names_source_is_one_of_the_two(tiny_config):
    with pytest.raises(ConfigError, match="mention_swap_names must be one of train, wikipedia, not 'web'"):
        dataclasses.replace(tiny_config, mention_swap_names="web")


TITLES = {
    "GPE": ["Hernia", "Irvington,_New_York", "Glen_Burnie,_Maryland", "Irvington,_New_Jersey", "Aidu,_village"],
    "PER": ["Django_Reinhardt", "Cher", "Bathroom_attendant", "Charles_Austin_(lawyer)", "Ludwig_van_Beethoven"],
}


class TitlesKB:
    """A KB's `name_only_titles`, from fixed lists."""

    def name_only_titles(self, kind):
        return TITLES.get(kind, [])


def test_wikipedia_lends_qualified_places_and_persons_of_two_capitalised_words_or_more():
    names = wikipedia_names(TitlesKB(), per_type=10)
    # "Hernia" has no ", region"; a place's qualifier goes, its name once; "village" is no name's word
    assert sorted(names["LOC"]) == [("Aidu",), ("Glen", "Burnie"), ("Irvington",)]
    # one word is no person's name, a lower-case word no name's, a particle may be one
    assert sorted(names["PER"]) == [("Charles", "Austin"), ("Django", "Reinhardt"), ("Ludwig", "van", "Beethoven")]
    assert wikipedia_names(TitlesKB(), per_type=10) == names  # a fixed sample
    assert len(wikipedia_names(TitlesKB(), per_type=2)["PER"]) == 2


def test_swapped_names_may_come_from_wikipedia_too():
    more = {"LOC": [("Glen", "Burnie")], "PER": [("Django", "Reinhardt")]}
    corpus = [dataclasses.replace(TENNIS, id=f"{i} TENNIS") for i in range(20)]
    copies = swapped_documents(corpus, 1.0, seed=1, more_names=more)
    persons = {name for copy in copies for name, label in names_of(copy.sentences[0]) if label == "PER"}
    places = {name for copy in copies for name, label in names_of(copy.sentences[0]) if label == "LOC"}
    assert places == {("Glen", "Burnie")}  # New York had no other place to become before
    assert persons == {("Steffi", "Graf"), ("Monica", "Seles"), ("Django", "Reinhardt")}  # AIDA's names stay too


def test_the_kb_lists_the_entities_it_knows_by_name_alone_by_type(tiny_wikipedia_kb):
    from jointel.kb import KB

    with KB(tiny_wikipedia_kb.path) as kb:
        places = kb.name_only_titles("GPE")
        assert places and kb.name_only(places) == set(places) and places == sorted(places)
        assert all(kb.entity(title).type == "GPE" for title in places)
