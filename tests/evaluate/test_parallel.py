import pytest

from jointel.data.documents import Document, Sentence
from jointel.evaluate.parallel import check_parallel


def _doc(doc_id: str, *lengths: int) -> Document:
    return Document(doc_id, "testb", tuple(Sentence(("w",) * n) for n in lengths))


def test_check_parallel_accepts_same_shape_with_different_tokens():
    gold = [
        Document(
            "1 A",
            "testb",
            (
                Sentence(
                    ("``", "Hi"),
                ),
            ),
        )
    ]
    pred = [
        Document(
            "1 A",
            "",
            (
                Sentence(
                    ('"', "Hi"),
                ),
            ),
        )
    ]
    check_parallel(gold, pred)


@pytest.mark.parametrize(
    ("pred", "message"),
    [
        ([_doc("1 A", 3, 2)], "gold has 2 documents but predictions have 1"),
        ([_doc("1 A", 3, 2), _doc("3 C", 4)], "gold '2 B' is paired with predicted '3 C'"),
        ([_doc("1 A", 3), _doc("2 B", 4)], "document '1 A': gold has 2 sentences, predictions 1"),
        ([_doc("1 A", 3, 2), _doc("2 B", 5)], "document '2 B', sentence 0: gold has 4 tokens, predictions 5"),
    ],
)
def test_check_parallel_names_the_mismatch(pred, message):
    gold = [_doc("1 A", 3, 2), _doc("2 B", 4)]
    with pytest.raises(ValueError, match=message):
        check_parallel(gold, pred)
