from pathlib import Path

import pytest

from jointel.data import DataFormatError, Sentence, Span, read_conll


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "eng.sample"
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def test_read_conll_splits_documents_and_sentences(tiny_data_dir):
    documents = read_conll(tiny_data_dir / "conll2003" / "eng.train")
    assert len(documents) == 2
    assert documents[0][0] == Sentence(
        ("EU", "rejects", "German", "call", "."), (Span(0, 1, "ORG"), Span(2, 3, "MISC"))
    )
    assert documents[1][0] == Sentence(("Phil",), (Span(0, 1, "PER"),))


def test_read_conll_reads_b_tag_between_adjacent_entities(tiny_data_dir):
    (sentence,) = read_conll(tiny_data_dir / "conll2003" / "eng.testb")[0]
    assert sentence.spans == (Span(0, 2, "PER"), Span(3, 4, "LOC"), Span(4, 6, "LOC"))


def test_read_conll_wrong_column_count_names_line(tmp_path):
    path = write(tmp_path, "-DOCSTART- -X- O O\n\nEU NNP I-ORG\n")
    with pytest.raises(DataFormatError, match=r"eng.sample:3: expected 4 space-separated columns .* got 3"):
        read_conll(path)


def test_read_conll_unknown_tag_names_line(tmp_path):
    path = write(tmp_path, "EU NNP I-NP I-ORG\nrejects VBZ I-VP B-FOO\n")
    with pytest.raises(DataFormatError, match=r"eng.sample:2: unknown tag 'B-FOO'"):
        read_conll(path)


def test_read_conll_bio_scheme_rejects_i_after_o(tmp_path):
    path = write(tmp_path, "the DT I-NP O\nEU NNP I-NP I-ORG\n")
    assert read_conll(path)[0][0].spans == (Span(1, 2, "ORG"),)  # IOB1 (the CoNLL-2003 scheme) allows it
    with pytest.raises(DataFormatError, match=r"eng.sample:2: I-ORG after O is not valid BIO"):
        read_conll(path, scheme="bio")


def test_read_conll_non_utf8_names_line_and_byte(tmp_path):
    path = write(tmp_path, b"EU NNP I-NP I-ORG\nM\xfcnchen NNP I-NP I-LOC\n")
    with pytest.raises(DataFormatError, match=r"eng.sample:2: byte 1 is not valid UTF-8"):
        read_conll(path)


def test_read_conll_empty_file_is_an_error(tmp_path):
    with pytest.raises(DataFormatError, match=r"eng.sample:1: no tokens found"):
        read_conll(write(tmp_path, "-DOCSTART- -X- O O\n\n"))


def test_read_conll_missing_file_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothing\.txt: no such file"):
        read_conll(tmp_path / "nothing.txt")
