import itertools

from hypothesis import given
from hypothesis import strategies as st

from jointel.annotate.tokenize import split_sentences, tokenize

# Text drawn from the characters the rules care about, plus any Unicode at all.
PIECES = st.sampled_from(
    [
        "U.S.",
        "Mr.",
        "Jan.",
        "M.",
        "'s",
        "n't",
        "don't",
        "O'Neill",
        "1996-08-22",
        "3.5",
        "1,000",
        "one-day",
        "...",
        "--",
        '"',
        "(",
        ")",
        ".",
        "!",
        "?",
        ",",
        "Paris",
        "the",
        "\n",
        "\n\n",
        " ",
        "  ",
        "\t",
        "’",
        "x.com",
    ]
)
TEXTS = st.one_of(st.text(), st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=40).map("".join))


def _words(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


@given(TEXTS)
def test_tokenize_offsets_slice_the_text(text):
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
        assert token.text and not any(char.isspace() for char in token.text)


@given(TEXTS)
def test_tokenize_tokens_are_ordered_and_never_overlap(text):
    tokens = list(tokenize(text))
    for left, right in itertools.pairwise(tokens):
        assert left.end <= right.start


@given(TEXTS)
def test_tokenize_loses_no_non_space_character(text):
    assert "".join(token.text for token in tokenize(text)) == "".join(c for c in text if not c.isspace())


@given(TEXTS, st.lists(st.integers(0, 60), max_size=6))
def test_tokenize_cuts_tokens_at_the_boundaries(text, boundaries):
    tokens = list(tokenize(text, boundaries))
    assert "".join(token.text for token in tokens) == "".join(c for c in text if not c.isspace())
    for token in tokens:
        assert text[token.start : token.end] == token.text
        assert not any(token.start < cut < token.end for cut in boundaries)


@given(TEXTS, st.integers(1, 8))
def test_split_sentences_partitions_the_tokens(text, max_tokens):
    sentences = list(split_sentences(text, max_tokens=max_tokens))
    assert all(0 < len(sentence) <= max_tokens for sentence in sentences)
    assert [token for sentence in sentences for token in sentence] == list(tokenize(text))


def test_tokenize_follows_conll_conventions():
    text = "Germany's U.S.-led talks on 1996-08-22 rose 3.5% to 1,000 (\"one-day\"), Mr. O'Neill's AT&T don't"
    assert _words(text) == [
        "Germany", "'s", "U.S.-led", "talks", "on", "1996-08-22", "rose", "3.5", "%", "to", "1,000", "(", '"',
        "one-day", '"', ")", ",", "Mr.", "O'Neill", "'s", "AT&T", "do", "n't",
    ]  # fmt: skip


def test_tokenize_keeps_initialisms_abbreviations_and_initials_whole():
    assert _words("the U.S. and U.N. at 9 a.m. as M. Smith of Acme Corp. said vs. Calif.") == [
        "the", "U.S.", "and", "U.N.", "at", "9", "a.m.", "as", "M.", "Smith", "of", "Acme", "Corp.", "said", "vs.",
        "Calif.",
    ]  # fmt: skip


def test_tokenize_splits_trailing_period_and_possessive_plural():
    assert _words("The players' coach won.") == ["The", "players", "'", "coach", "won", "."]


def test_split_sentences_on_terminal_punctuation_before_capital_or_newline():
    text = 'He won. Then "Yes," she said! Why? no, it is 3.5 now.\nlower case line'
    assert [[t.text for t in s] for s in split_sentences(text)] == [
        ["He", "won", "."],
        ["Then", '"', "Yes", ",", '"', "she", "said", "!"],
        ["Why", "?", "no", ",", "it", "is", "3.5", "now", "."],
        ["lower", "case", "line"],
    ]


def test_split_sentences_not_after_titles_initialisms_months_or_initials():
    text = "Mr. Smith went to the U.S. Open on Jan. 5 with M. Blackburn. The end."
    sentences = [[t.text for t in s] for s in split_sentences(text)]
    assert [s[0] for s in sentences] == ["Mr.", "The"]


def test_split_sentences_blank_line_is_a_break_and_closing_quote_stays():
    text = 'EU rejects German call\n\nPeter Blackburn\r\n \r\nHe left." She stayed.'
    assert [[t.text for t in s] for s in split_sentences(text)] == [
        ["EU", "rejects", "German", "call"],
        ["Peter", "Blackburn"],
        ["He", "left", ".", '"'],
        ["She", "stayed", "."],
    ]


def test_split_sentences_offsets_point_into_the_text():
    text = "Germany beat Argentina.\n\nParis Hilton visited Paris."
    second = list(split_sentences(text))[1]
    assert (second[0].start, second[0].end) == (25, 30)
    assert text[second[0].start : second[-1].end] == "Paris Hilton visited Paris."


def test_split_sentences_streams_a_long_text_lazily():
    text = "Paris is nice. " * 200_000  # 3 MB
    sentences = split_sentences(text)
    assert [t.text for t in next(sentences)] == ["Paris", "is", "nice", "."]
    assert next(sentences)[0].start == 15
