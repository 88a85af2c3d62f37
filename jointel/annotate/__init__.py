"""Annotate raw text: `load()` a model and its KB, then `annotate(text)` → typed, linked mentions."""

from jointel.annotate.annotator import BUNDLED_MODEL, WIKIPEDIA, Annotator, Mention, default_kb, load, wikipedia_url
from jointel.annotate.bundled import BUNDLED_NAMES, bundled_model, model_directory
from jointel.annotate.shards import plan_corpus, read_output, read_shard
from jointel.annotate.tokenize import Token, split_sentences, tokenize

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
