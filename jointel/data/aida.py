"""Reader for the AIDA CoNLL-YAGO file (`AIDA-YAGO2-dataset.tsv`): tokens with their mention links.

Format (README_AIDA.txt): `-DOCSTART- (<docid>)` starts a document, a blank line ends a sentence, a plain line is
a token outside any mention, and a mention token has TAB columns `token, B|I, mention, YAGO2 entity or --NME--`
followed, when linked, by `Wikipedia URL, page id[, Freebase mid]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from jointel.data.conll import read_text_lines
from jointel.data.documents import DataFormatError, Sentence, Span

NME = "--NME--"
WIKI_PREFIX = "/wiki/"


@dataclass(frozen=True)
class AidaDocument:
    """An AIDA document: sentences whose spans carry the entity (label is empty: AIDA has no NER types)."""

    id: str
    sentences: tuple[Sentence, ...]


def title_of_url(url: str) -> str:
    """`http://en.wikipedia.org/wiki/Alain_Juppé` → `Alain_Juppé`, the entity id used throughout jointel."""
    _, found, title = url.partition(WIKI_PREFIX)
    if not found or not title:
        raise ValueError(f"not a Wikipedia article URL: {url!r}")
    return unquote(title).replace(" ", "_")


def _link_of(path: Path, number: int, columns: list[str]) -> str | None:
    if len(columns) == 4 and columns[3] == NME:
        return None
    if len(columns) not in (6, 7) or columns[3] == NME:
        raise DataFormatError(
            path, number, f"expected 4 columns ending in {NME}, or 6-7 with a Wikipedia URL, got {len(columns)}"
        )
    try:
        return title_of_url(columns[4])
    except ValueError as error:
        raise DataFormatError(path, number, str(error)) from None


def read_aida(path: Path) -> list[AidaDocument]:
    """All documents of an AIDA CoNLL-YAGO file, in file order."""
    documents: list[tuple[str, list[Sentence]]] = []
    tokens: list[str] = []
    spans: list[Span] = []

    def close_sentence() -> None:
        if tokens:
            documents[-1][1].append(Sentence(tuple(tokens), tuple(spans)))
        tokens.clear()
        spans.clear()

    for number, line in read_text_lines(path):
        if line.startswith("-DOCSTART-"):
            close_sentence()
            documents.append((line.removeprefix("-DOCSTART-").strip().strip("()"), []))
            continue
        if not line:
            if documents:
                close_sentence()
            continue
        if not documents:
            raise DataFormatError(path, number, "token before the first '-DOCSTART- (<docid>)' line")
        columns = line.split("\t")
        if len(columns) > 1:
            if columns[1] not in ("B", "I"):
                raise DataFormatError(path, number, f"second column must be B or I, got {columns[1]!r}")
            entity = _link_of(path, number, columns)
            if columns[1] == "B" or not spans or spans[-1].end != len(tokens):
                spans.append(Span(len(tokens), len(tokens) + 1, "", entity))
            else:
                spans[-1] = Span(spans[-1].start, len(tokens) + 1, "", spans[-1].entity)
        tokens.append(columns[0])
    if documents:
        close_sentence()
    if not any(document_sentences for _, document_sentences in documents):
        raise DataFormatError(path, 1, "no tokens found: expected '-DOCSTART- (<docid>)' then one token per line")
    return [AidaDocument(doc_id, tuple(sentences)) for doc_id, sentences in documents]
