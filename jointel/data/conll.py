"""Reader for CoNLL-2003 English NER files (`token POS chunk NER`, IOB1, `-DOCSTART-` lines between documents)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from jointel.data.documents import DataFormatError, Sentence
from jointel.data.tags import TagError, tags_to_spans

DOCSTART = "-DOCSTART-"


def read_text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without newline) of a UTF-8 file; bad bytes raise DataFormatError naming the line."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise DataFormatError(
                    path, number, f"byte {error.start} is not valid UTF-8 ({raw[error.start : error.start + 1]!r})"
                ) from None
            yield number, line.rstrip("\r\n")


def read_conll(path: Path, scheme: str = "iob1") -> list[list[Sentence]]:
    """Documents of a CoNLL-2003 file, each a list of sentences with their gold NER spans."""
    documents: list[list[Sentence]] = []
    tokens: list[str] = []
    tags: list[str] = []
    first_tag_line = 0

    def close_sentence() -> None:
        if not tokens:
            return
        try:
            spans = tags_to_spans(tags, scheme)
        except TagError as error:
            raise DataFormatError(path, first_tag_line + error.index, str(error)) from None
        if not documents:
            documents.append([])
        documents[-1].append(Sentence(tuple(tokens), tuple(spans)))
        tokens.clear()
        tags.clear()

    for number, line in read_text_lines(path):
        if not line.strip():
            close_sentence()
            continue
        columns = line.split(" ")
        if columns[0] == DOCSTART:
            close_sentence()
            documents.append([])
            continue
        if len(columns) != 4:
            raise DataFormatError(
                path, number, f"expected 4 space-separated columns (token POS chunk NER), got {len(columns)}"
            )
        if not tokens:
            first_tag_line = number
        tokens.append(columns[0])
        tags.append(columns[3])
    close_sentence()
    documents = [document for document in documents if document]
    if not documents:
        raise DataFormatError(path, 1, "no tokens found: expected CoNLL-2003 lines 'token POS chunk NER'")
    return documents
