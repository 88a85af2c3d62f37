"""Annotate raw text: `load()` a model and its KB, then `annotate(text)` → typed, linked mentions."""

from jointel.annotate.annotator import BUNDLED_MODEL, WIKIPEDIA, Annotator, Mention, default_kb, load, wikipedia_url
from jointel.annotate.bundled import BUNDLED_NAMES, bundled_model, model_directory
from jointel.annotate.tokenize import Token, split_sentences, tokenize

_CORPUS_NAMES = ("plan_corpus", "read_output", "read_shard")  # `shards.py` needs pyarrow: loaded on first use


def __getattr__(name: str) -> object:
    """The corpus functions, imported when first asked for: pyarrow costs every process ~60 MB of memory, and only
    corpus annotation reads or writes Parquet."""
    if name in _CORPUS_NAMES:
        from jointel.annotate import shards

        return getattr(shards, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUNDLED_MODEL",
    "BUNDLED_NAMES",
    "WIKIPEDIA",
    "Annotator",
    "Mention",
    "Token",
    "bundled_model",
    "default_kb",
    "load",
    "model_directory",
    "plan_corpus",
    "read_output",
    "read_shard",
    "split_sentences",
    "tokenize",
    "wikipedia_url",
]
