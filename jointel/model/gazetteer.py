"""The KB's names as a gazetteer for NER: per token, whether it starts or continues a known name, and its kind.

`Gazetteer.codes` gives the codes (`n_gazetteer_codes` of them) the encoder embeds beside each word. Three sources
(`ModelConfig.gazetteer_source`): the KB's aliases, each with the type of its top entity (`Gazetteer`, in memory);
every name of the Wikipedia KB, each with how many entities it may be (`TitleGazetteer`, read per document); or
those names with the type of their top entity and whether they name one entity or several ("wikipedia-typed").
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
# a typed title gazetteer's kinds: (type of the top entity, whether the name may be more than one entity)
TYPED_TITLE_KINDS = tuple((kind, many) for many in (False, True) for kind in GAZETTEER_TYPES)
GAZETTEER_SOURCES = ("kb", "wikipedia", "wikipedia-typed")
# A title gazetteer knows no types: its kinds are how many entities a name may be (1, 2-3, 4-9, 10+), so that a
# capitalised common word ("Police": 10 pages) reads differently from a name ("Alternative for Germany": 1). As many
# kinds as GAZETTEER_TYPES, so the codes are as many.
AMBIGUITY_KINDS = ("one", "2-3", "4-9", "10+")
AMBIGUITY_BOUNDS = (1, 3, 9)


def ambiguity_kind(n_entities: int) -> str:
    """The kind a title gazetteer gives a name of `n_entities` entities (`AMBIGUITY_KINDS`)."""
    for kind, bound in zip(AMBIGUITY_KINDS, AMBIGUITY_BOUNDS, strict=False):
        if n_entities <= bound:
            return kind
    return AMBIGUITY_KINDS[-1]


MAX_WORDS = 4  # the longest name a gazetteer matches, in tokens


def n_gazetteer_codes(source: str) -> int:
    """How many codes a gazetteer of `source` gives: none, and a first and a later word of each kind."""
    return 1 + 2 * len(TYPED_TITLE_KINDS if source == "wikipedia-typed" else GAZETTEER_TYPES)


@dataclass(frozen=True)
class Gazetteer:
    """The KB's aliases as a gazetteer for NER: which word n-grams name an entity, and of what coarse type.

    `table` maps an alias key to (its kind, Σ prior score); the kind is one of `kinds`, by default the type of the
    alias's top entity. `own` (alias key → this document's own gold links) hides aliases that only the document
    itself put in the KB, as `HeldOut` does for priors.
    """

    table: dict[str, tuple[object, float]]
    max_words: int = MAX_WORDS
    word_end: bool = False  # a match never ends on a token without a letter or digit (`ModelConfig.gazetteer_word_end`)
    kinds: tuple[object, ...] = GAZETTEER_TYPES  # a kind it does not list counts as the last one

    def for_document(self, sentences: Sequence[Sequence[str]]) -> Gazetteer:
        """The gazetteer a document's sentences read: all of it (see `TitleGazetteer.for_document`)."""
        return self

    def codes(self, tokens: Sequence[str], own: dict[str, float] | None = None) -> tuple[int, ...]:
        """Per token 0 (no alias), or 1 + 2·kind + (0 first word | 1 later word) of the longest alias match."""
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
                return length, self.kinds.index(found[0]) if found[0] in self.kinds else len(self.kinds) - 1
        return None


@dataclass(frozen=True)
class TitleGazetteer:
    """Every name `kb` knows, each with how many entities it may be (`ambiguity_kind`), or if `typed` with the type
    of its top entity and whether it may be more than one (`TYPED_TITLE_KINDS`); never hidden: Wikipedia's titles and
    redirects are no document's links. Read from the KB per document, because 5.9 M names held in memory would not
    fit a server's budget; one query per document reads a few hundred keys (memoised by the KB)."""

    kb: KB
    max_words: int = MAX_WORDS
    word_end: bool = False
    # the KB in use, when the names come from another (the cache's Wikipedia KB): aliases added to it count too
    also: KB | None = None
    typed: bool = False

    def for_document(self, sentences: Sequence[Sequence[str]]) -> Gazetteer:
        """The names among the n-grams the gazetteer may match in `sentences`, as a `Gazetteer` of them."""
        keys = {key for tokens in sentences for key in lookup_keys(tokens, self.max_words)}
        names = self.kb.alias_entities(keys)
        if self.also is not None:
            for key, (n, kind) in self.also.alias_entities(keys).items():
                known_n, known_kind = names.get(key, (0, None))
                names[key] = (max(n, known_n), known_kind or kind)
        if self.typed:
            table = {key: ((kind, n > 1), math.inf) for key, (n, kind) in names.items()}
            return Gazetteer(table, self.max_words, self.word_end, TYPED_TITLE_KINDS)
        table = {key: (ambiguity_kind(n), math.inf) for key, (n, _) in names.items()}
        return Gazetteer(table, self.max_words, self.word_end, AMBIGUITY_KINDS)


def _may_start_a_name(token: str) -> bool:
    return token[:1].isupper()


def _is_word(token: str) -> bool:
    return any(char.isalnum() for char in token)


def lookup_keys(tokens: Sequence[str], max_words: int = MAX_WORDS) -> Iterator[str]:
    """The keys of every n-gram (up to `max_words`) that starts at a capitalised token: what `codes` looks up."""
    for start, token in enumerate(tokens):
        if _may_start_a_name(token):
            for end in range(start + 1, min(start + max_words, len(tokens)) + 1):
                yield normalize(" ".join(tokens[start:end]))
