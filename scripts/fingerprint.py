"""A fingerprint of what a model gives users on AIDA testb, to check that a refactoring changed no output.

    .venv/bin/python scripts/fingerprint.py OUT.jsonl [--model DIR] [--kb KB ...]

Annotates every testb document (`annotate_tokens`, top 5 candidates) and links its gold spans (`link`), with each
KB (default: the AIDA KB and the Wikipedia KB of the cache, those that exist), writes every Mention as JSON lines
to OUT and prints their SHA-256. Run it before and after a change: equal hashes, byte-identical outputs; else diff
the two files. One torch thread, so that the arithmetic is the same from run to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import torch

import jointel
from jointel.annotate import BUNDLED_MODEL
from jointel.cli import default_cache_dir, default_kb_path, default_wikipedia_kb_path, resolve_data_dir
from jointel.data import Document, load_corpus, write_atomic


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    parser.add_argument("--kb", type=Path, nargs="+", default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    kbs = args.kb or [path for path in (default_kb_path(), default_wikipedia_kb_path()) if path.is_file()]
    documents = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())["testb"]
    text = "\n".join(json.dumps(row) for kb in kbs for row in rows(args.model, kb, documents))
    write_atomic(args.out, text.encode())
    print(hashlib.sha256(text.encode()).hexdigest())


def rows(model: Path, kb: Path, documents: tuple[Document, ...]) -> Iterator[list]:
    """[what, KB file name, document id, mentions] per document: annotated, then its gold spans linked."""
    with jointel.load(model, kb) as annotator:
        for document in documents:
            sentences = [list(sentence.tokens) for sentence in document.sentences]
            annotated = annotator.annotate_tokens(sentences, top_k=5)
            yield ["annotate", kb.name, document.id, [asdict(mention) for mention in annotated]]
            text, spans = _gold_character_spans(document)
            if spans:
                linked = annotator.link(text, spans, top_k=5)
                yield ["link", kb.name, document.id, [asdict(mention) for mention in linked]]


def _gold_character_spans(document: Document) -> tuple[str, list[tuple[int, int]]]:
    """The text `annotate_tokens` offsets refer to (tokens joined by spaces) and the gold spans in it."""
    spans, start = [], 0
    for sentence in document.sentences:
        starts = []
        for token in sentence.tokens:
            starts.append(start)
            start += len(token) + 1
        spans += [(starts[s.start], starts[s.end - 1] + len(sentence.tokens[s.end - 1])) for s in sentence.spans]
    return " ".join(" ".join(sentence.tokens) for sentence in document.sentences), spans


if __name__ == "__main__":
    main()
