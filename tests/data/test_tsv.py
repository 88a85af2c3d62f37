import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jointel.data.documents import LABELS, DataFormatError, Document, Sentence, Span
from jointel.data.tsv import read_tagged_tsv, write_tagged_tsv

SAMPLE = (
    "-DOCSTART- 947testa CRICKET\n"
    "Leicestershire\tI-ORG\tLeicestershire_County_Cricket_Club\n"
    "take\tO\n"
    "over\tO\n"
    "\n"
    "Phil\tI-PER\t--NME--\n"
    "Simmons\tI-PER\t--NME--\n"
    "and\tO\n"
    "Lara\tI-PER\n"
    "\n"
    "\n"
    "-DOCSTART- 948testa SOCCER\n"
    "New\tB-LOC\tNew_York_City\n"
    "York\tI-LOC\n"
    "Boston\tB-LOC\tBoston\n"
)


def _write(tmp_path: Path, text: str | bytes, name: str = "run.tsv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_read_tagged_tsv_sample(tmp_path):
    docs = read_tagged_tsv(_write(tmp_path, SAMPLE), split="testa")
    assert docs == [
        Document(
            "947testa CRICKET",
            "testa",
            (
                Sentence(
                    ("Leicestershire", "take", "over"),
                    (Span(0, 1, "ORG", "Leicestershire_County_Cricket_Club"),),
                ),
                Sentence(("Phil", "Simmons", "and", "Lara"), (Span(0, 2, "PER"), Span(3, 4, "PER"))),
            ),
        ),
        Document(
            "948testa SOCCER",
            "testa",
            (Sentence(("New", "York", "Boston"), (Span(0, 2, "LOC", "New_York_City"), Span(2, 3, "LOC", "Boston"))),),
        ),
    ]


def test_read_tagged_tsv_without_docstart_is_one_document_named_after_the_file(tmp_path):
    docs = read_tagged_tsv(_write(tmp_path, "Paris\tB-LOC\tParis\r\nis\tO\r\n", name="system output.tsv"))
    assert docs == [Document("system output", "", (Sentence(("Paris", "is"), (Span(0, 1, "LOC", "Paris"),)),))]


def test_read_tagged_tsv_empty_entity_column_is_nil(tmp_path):
    docs = read_tagged_tsv(_write(tmp_path, "-DOCSTART- 1 EU\nEU\tB-ORG\t\n"))
    assert docs[0].sentences[0].spans == (Span(0, 1, "ORG", None),)


def test_write_tagged_tsv_writes_bio_and_entity_on_every_mention_token(tmp_path):
    doc = Document(
        "1 EU",
        "train",
        (Sentence(("German", "Chancellor", "Helmut", "Kohl"), (Span(0, 1, "MISC", None), Span(2, 4, "PER", "Kohl"))),),
    )
    path = tmp_path / "out.tsv"
    write_tagged_tsv(path, [doc])
    assert path.read_text(encoding="utf-8") == (
        "-DOCSTART- 1 EU\nGerman\tB-MISC\t--NME--\nChancellor\tO\nHelmut\tB-PER\tKohl\nKohl\tI-PER\tKohl\n\n"
    )


def test_write_tagged_tsv_writes_unannotated_mentions_as_nil(tmp_path):
    doc = Document("1 EU", "", (Sentence(("EU",), (Span(0, 1, "ORG", None, is_annotated=False),)),))
    path = tmp_path / "out.tsv"
    write_tagged_tsv(path, [doc])
    assert read_tagged_tsv(path)[0].sentences[0].spans == (Span(0, 1, "ORG", None),)


# any text without tab or line ending that is not blank; "-DOCSTART-" is a valid token
tokens = st.one_of(
    st.just("-DOCSTART-"),
    st.text(st.characters(exclude_characters="\t\n\r", exclude_categories=["Cs"]), min_size=1).filter(str.strip),
)
entities = st.one_of(st.none(), st.from_regex(r"[A-Z][A-Za-z_().,'0-9-]{0,20}", fullmatch=True))


@st.composite
def sentences(draw) -> Sentence:
    words = draw(st.lists(tokens, min_size=1, max_size=8))
    spans, i = [], 0
    while i < len(words):
        start = i + draw(st.integers(0, 2))
        end = start + draw(st.integers(1, 3))
        if end > len(words):
            break
        spans.append(Span(start, end, draw(st.sampled_from(LABELS)), draw(entities)))
        i = end
    return Sentence(tuple(words), tuple(spans))


documents = st.lists(
    st.tuples(
        st.from_regex(r"[0-9]{1,4}[a-z]{0,5} [A-Z][A-Z ]{0,10}[A-Z]", fullmatch=True), st.lists(sentences(), max_size=4)
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda pair: pair[0],
).filter(lambda pairs: any(sentence_list for _, sentence_list in pairs))


@given(documents)
def test_tagged_tsv_round_trip(pairs):
    docs = [Document(doc_id, "testb", tuple(sentence_list)) for doc_id, sentence_list in pairs]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "round.tsv"
        write_tagged_tsv(path, docs)
        assert read_tagged_tsv(path, scheme="bio", split="testb") == docs


def test_read_tagged_tsv_iob1_accepts_i_after_o_and_bio_rejects_it(tmp_path):
    path = _write(tmp_path, "-DOCSTART- 1 EU\nThe\tO\nEU\tI-ORG\n")
    assert read_tagged_tsv(path)[0].sentences[0].spans == (Span(1, 2, "ORG"),)
    with pytest.raises(DataFormatError, match=rf"^{path}:3: I-ORG after O is not valid BIO \(read IOB1 files"):
        read_tagged_tsv(path, scheme="bio")


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "-DOCSTART- 1 EU\nEU\tB-ORG\tEU\textra\n",
            2,
            "expected 2 or 3 tab-separated columns (token, tag[, entity]), got 4",
        ),
        (
            "-DOCSTART- 1 EU\nrejects\tO\nEU B-ORG\n",
            3,
            "expected 2 or 3 tab-separated columns (token, tag[, entity]), got 1",
        ),
        (
            "-DOCSTART- 1 EU\nEU\tB-FOO\n",
            2,
            "unknown tag 'B-FOO': expected O or B-/I- followed by one of PER, LOC, ORG, MISC",
        ),
        ("-DOCSTART- 1 EU\n\trejects\tO\n", 2, "empty token in the first column"),
        ("-DOCSTART- 1 EU\nrejects\tO\tEU\n", 2, "entity 'EU' on a token tagged O"),
        (
            "-DOCSTART- 1 EU\nNew\tB-LOC\tNew_York\nYork\tI-LOC\tYork\n",
            3,
            "entity 'York' differs from the first token of this mention (line 2, entity 'New_York')",
        ),
        (
            "-DOCSTART- 1 EU\nNew\tB-LOC\nYork\tI-LOC\tYork\n",
            3,
            "entity 'York' differs from the first token of this mention (line 2, no entity)",
        ),
        ("-DOCSTART-\nEU\tB-ORG\n", 1, "document id missing: expected '-DOCSTART- <document id>'"),
        ("-DOCSTART- 1 EU\nEU\tB-ORG\n\n-DOCSTART- 1 EU\n", 4, "duplicate document id '1 EU' (first at line 1)"),
        ("", 1, "no tokens found"),
        ("-DOCSTART- 1 EU\n\n-DOCSTART- 2 EU\n\n", 4, "no tokens found"),
    ],
)
def test_read_tagged_tsv_errors_name_file_and_line(tmp_path, text, line, problem):
    path = _write(tmp_path, text)
    with pytest.raises(DataFormatError) as caught:
        read_tagged_tsv(path)
    assert str(caught.value).startswith(f"{path}:{line}: {problem}")
    assert (caught.value.path, caught.value.line) == (path, line)


def test_read_tagged_tsv_non_utf8_names_line_and_byte_offset(tmp_path):
    path = _write(tmp_path, "-DOCSTART- 1 EU\nK\xf6ln\tB-LOC\n".encode("latin-1"))
    with pytest.raises(DataFormatError) as caught:
        read_tagged_tsv(path)
    # line 1 is 16 bytes with its newline; 0xf6 is byte 1 of line 2, so byte 17 of the file
    assert str(caught.value) == (
        f"{path}:2: invalid UTF-8 byte 0xf6 at byte 1 of the line (byte offset 17 in the file): "
        "the file must be saved as UTF-8"
    )
