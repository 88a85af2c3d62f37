"""Texts in, annotated documents out: the file formats of `jointel annotate --input … --format …`.

Inputs: `.txt` files (one text each, id = the path), directories (their `.txt` files, recursively, sorted) and
`.jsonl` files (one `{"id": …, "text": …}` object a line). Outputs, one document at a time so that a large input
streams: `jsonl` (the id and the mentions with every field), `conll` (the tagged-TSV format that
`jointel evaluate-files` reads: token, BIO tag, entity or `--NME--`), and `html` (a page with the mentions
highlighted, coloured by type and linked to Wikipedia).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path

from jointel.annotate.annotator import Mention
from jointel.annotate.tokenize import split_sentences
from jointel.data.documents import DataFormatError, Span
from jointel.data.tags import spans_to_tags
from jointel.data.unicode import valid_unicode

FORMATS = ("jsonl", "conll", "html")
NIL_ENTITY = "--NME--"


def input_files(paths: Sequence[Path]) -> list[Path]:
    """The files behind `paths`: each file itself, each directory's `.txt` files (recursively, sorted)."""
    files = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(file for file in path.rglob("*.txt") if file.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return files


def count_texts(files: Sequence[Path]) -> int:
    """How many texts `read_texts(files)` yields, reading them all: a malformed file raises before any work."""
    return sum(1 for _ in read_texts(files))


def read_texts(files: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(id, text) of every text in `files`, in order; a file that is not UTF-8 or not valid JSONL raises
    DataFormatError naming the file, the line and the byte offset."""
    for file in files:
        if file.suffix == ".jsonl":
            yield from _read_jsonl(file)
        else:
            yield str(file), _decode(file, file.read_bytes(), 1, 0).removeprefix("\ufeff")


def _read_jsonl(file: Path) -> Iterator[tuple[str, str]]:
    offset = 0
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = _decode(file, raw, number, offset).removeprefix("\ufeff")
            offset += len(raw)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DataFormatError(file, number, f"not valid JSON ({error.msg} at column {error.colno})") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise DataFormatError(file, number, 'expected an object {"id": …, "text": "…"} with a string text')
            yield valid_unicode(str(record.get("id", f"{file}:{number}"))), valid_unicode(record["text"])


def _decode(file: Path, raw: bytes, line: int, offset: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line += raw[: error.start].count(b"\n")
        problem = (
            f"invalid UTF-8 byte 0x{raw[error.start]:02x} at byte offset {offset + error.start}: "
            "the file must be saved as UTF-8"
        )
        raise DataFormatError(file, line, problem) from None


def mention_record(mention: Mention) -> dict:
    """A mention as plain JSON-ready values (candidates as (entity, probability) pairs)."""
    return asdict(mention)


def jsonl_record(document_id: str, text: str, mentions: Sequence[Mention]) -> str:
    return json.dumps({"id": document_id, "mentions": [mention_record(m) for m in mentions]}, ensure_ascii=False) + "\n"


def conll_record(document_id: str, text: str, mentions: Sequence[Mention]) -> str:
    """Tagged TSV: `-DOCSTART- id`, then `token<TAB>BIO tag[<TAB>entity or --NME--]` lines, sentences apart."""
    edges = {offset for mention in mentions for offset in (mention.start, mention.end)}
    by_start = {mention.start: mention for mention in mentions}
    lines = [f"-DOCSTART- {document_id}"]
    for tokens in split_sentences(text, edges):  # the sentences `annotate` saw, as mentions are whole tokens
        spans: list[Span] = []
        entities: list[str | None] = [None] * len(tokens)
        for i, token in enumerate(tokens):
            mention = by_start.get(token.start)
            if mention is not None:
                end = next(j for j in range(i, len(tokens)) if tokens[j].end >= mention.end) + 1
                spans.append(Span(i, end, mention.label, mention.entity))
                entities[i:end] = [mention.entity or NIL_ENTITY] * (end - i)
        tags = spans_to_tags(len(tokens), spans, scheme="bio")
        for token, tag, entity in zip(tokens, tags, entities, strict=True):
            lines.append("\t".join([token.text, tag] if entity is None else [token.text, tag, entity]))
        lines.append("")
    return "\n".join(lines) + "\n"


HTML_HEAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jointel annotations</title>
<style>
body { font: 16px/1.7 system-ui, sans-serif; max-width: 50rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h2 { font-size: 1rem; color: #666; border-top: 1px solid #ddd; padding-top: 1rem; }
p { white-space: pre-wrap; }
.mention { border-radius: 0.3rem; padding: 0.05rem 0.25rem; text-decoration: none; color: inherit;
           border: 2px solid transparent; }
.mention sub { font-size: 0.65rem; font-weight: 600; margin-left: 0.2rem; opacity: 0.7; }
.PER { background: #fde2e4; } .LOC { background: #d7f0dd; } .ORG { background: #dbe7fb; } .MISC { background: #fbf0c9; }
.nil { background: transparent; border: 2px dashed #999; }
</style></head><body>
"""
HTML_TAIL = "</body></html>\n"


def html_record(document_id: str, text: str, mentions: Sequence[Mention]) -> str:
    """One document as an HTML section: linked mentions are links to Wikipedia, NIL ones dashed, scores on hover."""
    parts, at = [], 0
    for mention in sorted(mentions, key=lambda m: m.start):
        if mention.start < at:  # overlapping spans (only from `link`) cannot nest in HTML: keep the first
            continue
        parts.append(html.escape(text[at : mention.start]))
        title = html.escape(mention_title(mention), quote=True)
        inner = f"{html.escape(mention.text)}<sub>{mention.label}</sub>"
        if mention.url is None:
            parts.append(f'<span class="mention {mention.label} nil" title="{title}">{inner}</span>')
        else:
            url = html.escape(mention.url, quote=True)
            parts.append(f'<a class="mention {mention.label}" href="{url}" title="{title}">{inner}</a>')
        at = mention.end
    parts.append(html.escape(text[at:]))
    return f"<section><h2>{html.escape(document_id)}</h2><p>{''.join(parts)}</p></section>\n"


def mention_title(mention: Mention) -> str:
    """The hover text: type, entity (or NIL) and both scores."""
    entity = mention.entity.replace("_", " ") if mention.entity else "NIL (not in the knowledge base)"
    return f"{mention.label} · {entity} · NER {mention.ner_score:.2f} · link {mention.el_score:.2f}"
