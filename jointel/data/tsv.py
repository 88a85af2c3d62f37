"""The tagged-TSV exchange format, so that any system's output can be scored with jointel's scorers.

Format (UTF-8, one token per line):

    -DOCSTART- 947testa CRICKET
    Leicestershire<TAB>B-ORG<TAB>Leicestershire_County_Cricket_Club
    take<TAB>O
    over<TAB>O

    Simmons<TAB>B-PER<TAB>--NME--

- `-DOCSTART- <document id>` starts a document; the id runs to the end of the line and may contain spaces
  (not tabs: a line with a tab is a token line).
  Token lines before the first `-DOCSTART-` form one document whose id is the file name without extension.
- A blank line ends a sentence.
- A token line is `token<TAB>tag` or `token<TAB>tag<TAB>entity`. Tags are `O`, `B-X` or `I-X` with X one of
  PER, LOC, ORG, MISC. IOB1 and BIO are both read with conlleval's chunk rules (`scheme="iob1"`, the default);
  `scheme="bio"` also rejects an `I-X` that does not continue an `X` mention.
- The entity of a mention is read from its first token: a Wikipedia title (`Barack_Obama`), or `--NME--` (or
  no entity column) for NIL. Later tokens of the mention may repeat the entity or leave the column out; a
  different value is an error. An entity on an `O` token is an error.

`write_tagged_tsv` writes BIO tags and the entity on every token of a mention. The format has no marker for
mentions without EL annotation (`Span.is_annotated=False`): they are written, and read back, as NIL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jointel.data.documents import DataFormatError, Document, Sentence, Span
from jointel.data.files import write_atomic
from jointel.data.tags import TagError, spans_to_tags, split_tag, tags_to_spans

DOCSTART = "-DOCSTART-"
NIL_ENTITY = "--NME--"


@dataclass(frozen=True)
class _Row:
    """One token line as read: `entity` is None when the column is absent or empty."""

    line: int
    token: str
    tag: str
    entity: str | None


@dataclass
class _Block:
    """The lines of one document before they become a `Document`."""

    id: str
    line: int
    sentences: list[list[_Row]] = field(default_factory=list)


def read_tagged_tsv(path: Path | str, scheme: str = "iob1", split: str = "") -> list[Document]:
    """Documents of a tagged-TSV file (format in the module docstring); raises DataFormatError on bad input."""
    path = Path(path)
    lines = _decode_lines(path)
    blocks = _blocks(path, lines)
    if not any(block.sentences for block in blocks):
        raise DataFormatError(path, max(len(lines), 1), "no tokens found: expected lines 'token<TAB>tag[<TAB>entity]'")
    return [_document(path, block, scheme, split) for block in blocks]


def write_tagged_tsv(path: Path | str, docs: Iterable[Document]) -> None:
    """Write documents as tagged TSV with BIO tags and the entity (or `--NME--`) on every token of a mention."""
    lines: list[str] = []
    for doc in docs:
        lines.append(f"{DOCSTART} {doc.id}")
        for sentence in doc.sentences:
            lines.extend(_sentence_lines(sentence))
            lines.append("")
    write_atomic(Path(path), ("\n".join(lines) + "\n").encode("utf-8"))


def _sentence_lines(sentence: Sentence) -> list[str]:
    tags = spans_to_tags(len(sentence.tokens), sentence.spans, scheme="bio")
    entities: list[str | None] = [None] * len(sentence.tokens)
    for span in sentence.spans:
        entities[span.start : span.end] = [span.entity or NIL_ENTITY] * (span.end - span.start)
    return [
        "\t".join([token, tag] if entity is None else [token, tag, entity])
        for token, tag, entity in zip(sentence.tokens, tags, entities, strict=True)
    ]


def _decode_lines(path: Path) -> list[str]:
    """Lines of the file without line endings; non-UTF-8 bytes are reported with their line and offset."""
    lines, offset = [], 0
    for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
        try:
            lines.append(raw.decode("utf-8").rstrip("\r"))
        except UnicodeDecodeError as error:
            problem = (
                f"invalid UTF-8 byte 0x{raw[error.start]:02x} at byte {error.start} of the line "
                f"(byte offset {offset + error.start} in the file): the file must be saved as UTF-8"
            )
            raise DataFormatError(path, number, problem) from None
        offset += len(raw) + 1
    if lines and lines[0].startswith("\ufeff"):
        lines[0] = lines[0][1:]  # a byte-order mark, as some editors write
    if lines and lines[-1] == "":
        lines.pop()  # the final newline
    return lines


def _blocks(path: Path, lines: Sequence[str]) -> list[_Block]:
    """Group lines into documents and sentences, checking each line on its own."""
    blocks: list[_Block] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if _is_docstart(line):
            blocks.append(_Block(_document_id(path, number, line, first_line), number))
        elif not line.strip():
            if blocks and blocks[-1].sentences and blocks[-1].sentences[-1]:
                blocks[-1].sentences.append([])
        else:
            if not blocks:
                blocks.append(_Block(path.stem, number))
                first_line[path.stem] = number
            if not blocks[-1].sentences:
                blocks[-1].sentences.append([])
            blocks[-1].sentences[-1].append(_row(path, number, line))
    for block in blocks:
        if block.sentences and not block.sentences[-1]:
            block.sentences.pop()
    return blocks


def _is_docstart(line: str) -> bool:
    """A line with a tab is always a token line, so a token spelled `-DOCSTART-` still round-trips."""
    return "\t" not in line and (line == DOCSTART or line.startswith(DOCSTART + " "))


def _document_id(path: Path, number: int, line: str, first_line: dict[str, int]) -> str:
    doc_id = line[len(DOCSTART) :].strip()
    if not doc_id:
        raise DataFormatError(path, number, f"document id missing: expected '{DOCSTART} <document id>'")
    if doc_id in first_line:
        raise DataFormatError(path, number, f"duplicate document id {doc_id!r} (first at line {first_line[doc_id]})")
    first_line[doc_id] = number
    return doc_id


def _row(path: Path, number: int, line: str) -> _Row:
    columns = line.split("\t")
    if len(columns) not in (2, 3):
        problem = f"expected 2 or 3 tab-separated columns (token, tag[, entity]), got {len(columns)}"
        raise DataFormatError(path, number, problem)
    token, tag = columns[0], columns[1]
    entity = columns[2] if len(columns) == 3 and columns[2] else None
    if not token.strip():
        raise DataFormatError(path, number, "empty token in the first column")
    try:
        split_tag(tag)
    except TagError as error:
        raise DataFormatError(path, number, str(error)) from None
    if tag == "O" and entity is not None:
        raise DataFormatError(path, number, f"entity {entity!r} on a token tagged O: only mention tokens have one")
    return _Row(number, token, tag, entity)


def _document(path: Path, block: _Block, scheme: str, split: str) -> Document:
    sentences = tuple(_sentence(path, rows, scheme) for rows in block.sentences)
    return Document(id=block.id, split=split, sentences=sentences)


def _sentence(path: Path, rows: Sequence[_Row], scheme: str) -> Sentence:
    try:
        spans = tags_to_spans([row.tag for row in rows], scheme=scheme)
    except TagError as error:
        hint = " (read IOB1 files with scheme='iob1')" if scheme == "bio" else ""
        raise DataFormatError(path, rows[error.index].line, f"{error}{hint}") from None
    return Sentence(tokens=tuple(row.token for row in rows), spans=tuple(_linked(path, span, rows) for span in spans))


def _linked(path: Path, span: Span, rows: Sequence[_Row]) -> Span:
    """The span with the entity of its first token; later tokens must agree or leave the column out."""
    first = rows[span.start]
    for row in rows[span.start + 1 : span.end]:
        if row.entity is not None and row.entity != first.entity:
            found = "no entity" if first.entity is None else f"entity {first.entity!r}"
            problem = f"entity {row.entity!r} differs from the first token of this mention (line {first.line}, {found})"
            raise DataFormatError(path, row.line, problem)
    entity = None if first.entity in (None, NIL_ENTITY) else first.entity
    return Span(span.start, span.end, span.label, entity)
