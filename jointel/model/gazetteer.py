"""The KB's names as a gazetteer for NER: per token, whether it starts or continues a known name, and its kind.

`Gazetteer.codes` gives the codes (`N_GAZETTEER_CODES` of them) the encoder embeds beside each word. Two sources
(`ModelConfig.gazetteer_source`): the KB's aliases, each with the type of its top entity (`Gazetteer`, in memory);
or every name of the Wikipedia KB, each with how many entities it may be (`TitleGazetteer`, read per document).
The first knows the names of AIDA's documents, testa's and testb's entities among them (83–88% of CoNLL's mentions,
8% of those of our sentences of modern text); the second knows Wikipedia's, old and new alike, so what a model
learns of it in training holds on text of any year (RESULTS.md, session 21; `scripts/gazetteer_coverage.py`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from jointel.kb.lookup import KB
from jointel.kb.normalize import normalize

GAZETTEER_TYPES = ("PER", "ORG", "GPE", None)
N_GAZETTEER_CODES = 1 + 2 * len(GAZETTEER_TYPES)
GAZETTEER_SOURCES = ("kb", "wikipedia")
# A title gazetteer knows no types: its kinds are how many entities a name may be (1, 2-3, 4-9, 10+), so that a
# capitalised common word ("Police": 10 pages) reads differently from a name ("Alternative for Germany": 1).
AMBIGUITY_BOUNDS = (1, 3, 9)


def ambiguity_kind(n_entities: int) -> str | None:
    """The kind a title gazetteer gives a name of `n_entities` entities (`AMBIGUITY_BOUNDS`), as one of the types."""
    for kind, bound in zip(GAZETTEER_TYPES, AMBIGUITY_BOUNDS, strict=False):
        if n_entities <= bound:
            return kind
    return None


@dataclass(frozen=True)
class Gazetteer:
    """The KB's aliases as a gazetteer for NER: which word n-grams name an entity, and of what coarse type.

    `table` maps an alias key to (type of its top entity, Σ prior score). `own` (alias key → this document's own
    gold links) hides aliases that only the document itself put in the KB, as `HeldOut` does for priors.
    """

    table: dict[str, tuple[str | None, float]]
    max_words: int = 4
    word_end: bool = False  # a match never ends on a token without a letter or digit (`ModelConfig.gazetteer_word_end`)

    def for_document(self, sentences: Sequence[Sequence[str]]) -> Gazetteer:
        """The gazetteer a document's sentences read: all of it (see `TitleGazetteer.for_document`)."""
        return self

    def codes(self, tokens: Sequence[str], own: dict[str, float] | None = None) -> tuple[int, ...]:
        """Per token 0 (no alias), or 1 + 2·type + (0 first word | 1 later word) of the longest alias match."""
        codes = [0] * len(tokens)
        i = 0
        while i < len(tokens):
            matched = self._match(tokens, i, own or {}) if _may_start_a_name(tokens[i]) else None
            if matched is None:
                i += 1
                continue
            length, kind = matched
            codes[i : i + length] = [1 + 2 * kind] + [2 + 2 * kind] * (length - 1)
            i += length
        return tuple(codes)

    def _match(self, tokens: Sequence[str], start: int, own: dict[str, float]) -> tuple[int, int] | None:
        for length in range(min(self.max_words, len(tokens) - start), 0, -1):
            if self.word_end and not _is_word(tokens[start + length - 1]):
                continue
            key = normalize(" ".join(tokens[start : start + length]))
            found = self.table.get(key)
            if found is not None and found[1] - own.get(key, 0.0) > 1e-9:
                return length, GAZETTEER_TYPES.index(found[0]) if found[0] in GAZETTEER_TYPES else 3
        return None


@dataclass(frozen=True)
class TitleGazetteer:
    """Every name `kb` knows, each with how many entities it may be (`ambiguity_kind`), never hidden: Wikipedia's
    titles and redirects are no document's links. Read from the KB per document, because 5.9 M names held in memory
    would not fit a server's budget; one query per document reads a few hundred keys (memoised by the KB)."""

    kb: KB
    max_words: int = 4
    word_end: bool = False
    # the KB in use, when the names come from another (the cache's Wikipedia KB): aliases added to it count too
    also: KB | None = None

    def for_document(self, sentences: Sequence[Sequence[str]]) -> Gazetteer:
        """The names among the n-grams the gazetteer may match in `sentences`, as a `Gazetteer` of them."""
        keys = {key for tokens in sentences for key in _start_keys(tokens, self.max_words)}
        counts = self.kb.alias_entity_counts(keys)
        if self.also is not None:
            for key, count in self.also.alias_entity_counts(keys).items():
                counts[key] = max(count, counts.get(key, 0))
        table = {key: (ambiguity_kind(n), math.inf) for key, n in counts.items()}
        return Gazetteer(table, self.max_words, self.word_end)


def _may_start_a_name(token: str) -> bool:
    return token[:1].isupper()


def _is_word(token: str) -> bool:
    return any(char.isalnum() for char in token)


def _start_keys(tokens: Sequence[str], max_words: int) -> Iterator[str]:
    """The keys of every n-gram (up to `max_words`) that starts at a capitalised token: what `codes` looks up."""
    for start, token in enumerate(tokens):
        if _may_start_a_name(token):
            for end in range(start + 1, min(start + max_words, len(tokens)) + 1):
                yield normalize(" ".join(tokens[start:end]))
