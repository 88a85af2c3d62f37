import pytest
from hypothesis import given
from strategies import span_sets

from jointel.data import Span, TagError, spans_to_tags, tags_to_spans


@given(span_sets())
def test_spans_to_tags_round_trips_in_both_schemes(case):
    n, spans = case
    unlinked = [Span(span.start, span.end, span.label) for span in spans]  # tags carry no entity
    for scheme in ("bio", "iob1"):
        assert tags_to_spans(spans_to_tags(n, spans, scheme), scheme) == unlinked


def test_tags_to_spans_follows_conlleval_chunk_rules():
    # IOB1: I- after O starts a chunk, B- splits two adjacent chunks of one type, a type change splits too.
    tags = ["I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-ORG", "I-ORG"]
    assert tags_to_spans(tags) == [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(4, 5, "LOC"), Span(5, 7, "ORG")]


def test_spans_to_tags_iob1_uses_b_only_between_adjacent_same_type():
    spans = [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(4, 5, "LOC")]
    assert spans_to_tags(5, spans, "iob1") == ["I-PER", "I-PER", "B-PER", "O", "I-LOC"]
    assert spans_to_tags(5, spans, "bio") == ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]


def test_tags_to_spans_strict_bio_rejects_i_after_o():
    with pytest.raises(TagError, match="I-LOC after O is not valid BIO") as error:
        tags_to_spans(["O", "I-LOC"], scheme="bio")
    assert error.value.index == 1


def test_tags_to_spans_rejects_unknown_label():
    with pytest.raises(TagError, match="unknown tag 'B-FOO'") as error:
        tags_to_spans(["O", "O", "B-FOO"])
    assert error.value.index == 2
