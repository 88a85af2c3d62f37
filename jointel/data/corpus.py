"""The CoNLL-2003 + AIDA corpus: CoNLL NER spans merged with AIDA entity links, cached for fast loading.

CoNLL gives tokens and typed spans, AIDA gives the link of each mention. The two files hold the same tokens in the
same documents, so documents are paired in order and mentions matched by document token offsets. Whatever does not
line up is counted in an `AlignmentReport`; a CoNLL span without an AIDA mention is kept with `is_annotated=False`.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from jointel.data.aida import AidaDocument, read_aida
from jointel.data.conll import read_conll
from jointel.data.documents import SPLITS, AlignmentReport, Document, Sentence
from jointel.data.files import write_atomic

logger = logging.getLogger(__name__)

CONLL_FILES = {"train": "conll2003/eng.train", "testa": "conll2003/eng.testa", "testb": "conll2003/eng.testb"}
AIDA_FILE = "aida/AIDA-YAGO2-dataset.tsv"
_SPLIT_OF_ID = re.compile(r"^\d+(testa|testb)?\b")


@dataclass(frozen=True)
class Corpus:
    """All three splits and, per split, the report of how AIDA aligned with CoNLL."""

    splits: dict[str, tuple[Document, ...]]
    reports: dict[str, AlignmentReport]

    def __getitem__(self, split: str) -> tuple[Document, ...]:
        if split not in self.splits:
            raise KeyError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
        return self.splits[split]


def split_of_aida_id(doc_id: str) -> str:
    """`"947testa CRICKET"` → `"testa"`; ids without a suffix (`"1 EU"`) are train."""
    match = _SPLIT_OF_ID.match(doc_id)
    if not match:
        raise ValueError(f"AIDA document id {doc_id!r} does not start with a document number")
    return match.group(1) or "train"


def source_files(data_dir: Path) -> list[Path]:
    """The raw files the corpus is built from; a missing one is a clear error."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data directory {data_dir} does not exist (set JOINTEL_DATA or put shared/ beside)")
    paths = [data_dir / CONLL_FILES[split] for split in SPLITS] + [data_dir / AIDA_FILE]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing corpus file (see shared/data/PROVENANCE.md)")
    return paths


def load_corpus(data_dir: Path, cache_dir: Path | None = None) -> Corpus:
    """Read and merge the corpus, or load it from `cache_dir` if the cached copy matches the source files' hash."""
    paths = source_files(data_dir)
    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir) / f"corpus-{_fingerprint(paths)}.pkl"
        if cache_path.is_file():
            with cache_path.open("rb") as handle:
                return pickle.load(handle)
    corpus = build_corpus(data_dir)
    if cache_path is not None:
        for stale in cache_path.parent.glob("corpus-*.pkl"):
            stale.unlink()
        write_atomic(cache_path, pickle.dumps(corpus, protocol=pickle.HIGHEST_PROTOCOL))
    return corpus


def build_corpus(data_dir: Path) -> Corpus:
    """Read CoNLL and AIDA from `data_dir` and merge them split by split."""
    data_dir = Path(data_dir)
    aida_by_split: dict[str, list[AidaDocument]] = {split: [] for split in SPLITS}
    for aida_document in read_aida(data_dir / AIDA_FILE):
        aida_by_split[split_of_aida_id(aida_document.id)].append(aida_document)
    reports = {split: AlignmentReport() for split in SPLITS}
    splits = {}
    for split in SPLITS:
        conll_documents = read_conll(data_dir / CONLL_FILES[split])
        splits[split] = tuple(merge_split(conll_documents, aida_by_split[split], split, reports[split]))
    return Corpus(splits, reports)


def merge_split(
    conll_documents: Sequence[Sequence[Sentence]],
    aida_documents: Sequence[AidaDocument],
    split: str,
    report: AlignmentReport,
) -> list[Document]:
    """Pair documents in order; a count mismatch is reported and the unpaired rest kept without links."""
    if len(conll_documents) != len(aida_documents):
        report.document_mismatches.append(
            f"{split}: {len(conll_documents)} CoNLL documents but {len(aida_documents)} AIDA documents"
        )
    documents = []
    for index, sentences in enumerate(conll_documents):
        if index < len(aida_documents):
            documents.append(merge_document(sentences, aida_documents[index], split, report))
        else:
            unlinked = [_unannotated(sentence) for sentence in sentences]
            documents.append(Document(f"{split}-{index + 1}", split, tuple(unlinked)))
    return documents


def merge_document(sentences: Sequence[Sentence], aida: AidaDocument, split: str, report: AlignmentReport) -> Document:
    """Attach AIDA links to the CoNLL spans with the same document token offsets."""
    report.documents += 1
    conll_tokens = [token for sentence in sentences for token in sentence.tokens]
    aida_tokens = [token for sentence in aida.sentences for token in sentence.tokens]
    mismatches = sum(a != b for a, b in zip(conll_tokens, aida_tokens, strict=False))
    mismatches += abs(len(conll_tokens) - len(aida_tokens))
    if mismatches:
        report.token_mismatches += mismatches
        report.document_mismatches.append(f"{aida.id}: {mismatches} tokens differ between CoNLL and AIDA")
    mentions = _document_mentions(aida)
    report.aida_mentions += len(mentions)
    report.aida_linked += sum(entity is not None for entity in mentions.values())
    merged = []
    used: set[tuple[int, int]] = set()
    offset = 0
    for sentence in sentences:
        spans = []
        for span in sentence.spans:
            mention = _enclosing_mention(mentions, offset + span.start, offset + span.end)
            if mention is None:
                report.conll_spans_without_aida_mention += 1
                spans.append(replace(span, entity=None, is_annotated=False))
            else:
                used.add(mention)
                spans.append(replace(span, entity=mentions[mention]))
        merged.append(Sentence(sentence.tokens, tuple(spans)))
        offset += len(sentence.tokens)
    report.aida_mentions_without_conll_span += len(mentions) - len(used)
    report.aida_mentions_split_by_sentence_break += sum(
        1 for mention in used if not _is_within_one_sentence(mention, sentences)
    )
    return Document(aida.id, split, tuple(merged))


def _document_mentions(aida: AidaDocument) -> dict[tuple[int, int], str | None]:
    """AIDA mentions keyed by document token offsets `(start, end)`, valued by entity (None = NIL)."""
    mentions = {}
    offset = 0
    for sentence in aida.sentences:
        for span in sentence.spans:
            mentions[(offset + span.start, offset + span.end)] = span.entity
        offset += len(sentence.tokens)
    return mentions


def _enclosing_mention(mentions: dict[tuple[int, int], str | None], start: int, end: int) -> tuple[int, int] | None:
    """The AIDA mention equal to `[start, end)`, else one containing it.

    A containing mention happens where CoNLL breaks a sentence inside a name ("Phil | Mickelson"): AIDA keeps one
    mention, CoNLL has one span per sentence, and each piece inherits the mention's link.
    """
    if (start, end) in mentions:
        return (start, end)
    for mention_start, mention_end in mentions:
        if mention_start <= start and end <= mention_end:
            return (mention_start, mention_end)
    return None


def _is_within_one_sentence(mention: tuple[int, int], sentences: Sequence[Sentence]) -> bool:
    offset = 0
    for sentence in sentences:
        if offset <= mention[0] and mention[1] <= offset + len(sentence.tokens):
            return True
        offset += len(sentence.tokens)
    return False


def _unannotated(sentence: Sentence) -> Sentence:
    spans = tuple(replace(span, entity=None, is_annotated=False) for span in sentence.spans)
    return Sentence(sentence.tokens, spans)


def _fingerprint(paths: Sequence[Path]) -> str:
    """Hash of the source files and of the reader code, so that a change to either rebuilds the cache."""
    digest = hashlib.sha256()
    for path in [*paths, *sorted(Path(__file__).parent.glob("*.py"))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
