import pytest

from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.parallel import check_parallel


def _doc(doc_id: str, *lengths: int) -> Document:
    return Document(doc_id, "testb", tuple(Sentence(("w",) * n) for n in lengths))


GOLD = (_doc("1 A", 3, 2), _doc("2 B", 4))


def test_check_parallel_accepts_same_shape_with_other_tokens_split_and_spans():
    # An external system may write quotes differently, name no split and find other mentions: only shapes matter.
    gold = [
        Document("1 A", "testb", (Sentence(("``", "Hi", "''"), (Span(1, 2, "PER", "Hi"),)), Sentence(("Bye",)))),
        Document("2 B", "testb", (Sentence(("Paris", "."), (Span(0, 1, "LOC", "Paris"),)),)),
    ]
    pred = [
        Document("1 A", "", (Sentence(('"', "Hi", '"')), Sentence(("bye",), (Span(0, 1, "ORG"),)))),
        Document("2 B", "", (Sentence(("Paris", "."), (Span(0, 2, "MISC", None),)),)),
    ]
    assert check_parallel(gold, pred) is None
    assert check_parallel([], []) is None


@pytest.mark.parametrize(
    ("pred", "message"),
    [
        ([_doc("1 A", 3, 2)], "gold has 2 documents but predictions have 1"),
        ([_doc("1 A", 3, 2), _doc("2 B", 4), _doc("3 C", 1)], "gold has 2 documents but predictions have 3"),
        ([_doc("1 A", 3, 2), _doc("3 C", 4)], "document order differs: gold '2 B' is paired with predicted '3 C'"),
        ([_doc("2 B", 4), _doc("1 A", 3, 2)], "document order differs: gold '1 A' is paired with predicted '2 B'"),
        ([_doc("1 A", 3), _doc("2 B", 4)], "document '1 A': gold has 2 sentences, predictions 1"),
        ([_doc("1 A", 3, 2), _doc("2 B", 4, 1)], "document '2 B': gold has 1 sentences, predictions 2"),
        ([_doc("1 A", 3, 2), _doc("2 B", 5)], "document '2 B', sentence 0: gold has 4 tokens, predictions 5"),
        ([_doc("1 A", 3, 0), _doc("2 B", 4)], "document '1 A', sentence 1: gold has 2 tokens, predictions 0"),
    ],
)
def test_check_parallel_names_the_first_mismatch(pred, message):
    with pytest.raises(ValueError) as error:
        check_parallel(GOLD, pred)
    assert str(error.value) == message
