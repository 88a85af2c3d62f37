"""Corpus readers and plain document data."""

from jointel.data.aida import AidaDocument, read_aida, title_of_url
from jointel.data.conll import read_conll
from jointel.data.corpus import Corpus, build_corpus, load_corpus
from jointel.data.documents import LABELS, SPLITS, AlignmentReport, DataFormatError, Document, Sentence, Span
from jointel.data.files import replaced_atomically, replaced_directory, write_atomic
from jointel.data.stats import corpus_statistics
from jointel.data.tags import TagError, spans_to_tags, tags_to_spans

__all__ = [
    "LABELS",
    "SPLITS",
    "AidaDocument",
    "AlignmentReport",
    "Corpus",
    "DataFormatError",
    "Document",
    "Sentence",
    "Span",
    "TagError",
    "build_corpus",
    "corpus_statistics",
    "load_corpus",
    "read_aida",
    "read_conll",
    "replaced_atomically",
    "replaced_directory",
    "spans_to_tags",
    "tags_to_spans",
    "title_of_url",
    "write_atomic",
]
