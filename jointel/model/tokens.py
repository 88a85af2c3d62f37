"""From tokens to the ids the network reads: word, character and casing ids, and a document's own words and casing.

`TokenIds` maps one token to its word id (`word_index`), character ids and `casing` class; `document_words` and
`document_casing` read a whole document: its content words, and how it writes each word where case is informative.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from jointel.model.clusters import PAD, WordClusters
from jointel.model.ontonotes import OntoNotesTagger
from jointel.model.vocab import Vocab

MAX_CHARS = 20
_DIGITS = re.compile(r"\d")


def casing(token: str) -> int:
    """A small casing class: the signal GloVe's lower-cased vectors lose."""
    if token.isdigit():
        return 1
    if any(char.isdigit() for char in token):
        return 2
    if not any(char.isalpha() for char in token):
        return 3
    if token.isupper():
        return 4
    if token.istitle():
        return 5
    if token.islower():
        return 6
    return 7


def word_index(words: Vocab, token: str) -> int:
    """The vocabulary id of a token: lower-cased, then with digits as zeros, else UNK."""
    lower = token.lower()
    if lower in words:
        return words.index(lower)
    return words.index(_DIGITS.sub("0", lower))


COMMON_WORDS = 100  # the vocabulary lists GloVe words by frequency after PAD and UNK: these are function words
MAX_DOCUMENT_WORDS = 400


def document_words(sentences: Sequence[Sequence[str]], token_ids: TokenIds) -> tuple[int, ...]:
    """The distinct content words of a document as word ids: what the story is about ("cricket", "innings"), for
    telling a country from its national team. Unknown and the commonest words are left out."""
    ids = {token_ids(token)[0] for tokens in sentences for token in tokens}
    return tuple(sorted(i for i in ids if i >= 2 + COMMON_WORDS)[:MAX_DOCUMENT_WORDS])


DOCUMENT_CASING_CODES = 4  # 0 unknown, 1 capitalised mid-sentence, 2 lower-case, 3 both


def document_casing(sentences: Sequence[Sequence[str]]) -> list[tuple[int, ...]]:
    """Per token, how its document writes the same word where case is informative: 1 capitalised in mid-sentence,
    2 lower-case, 3 both, 0 never (or not a word).

    A sentence's first word is capitalised anyway, and Reuters headlines are in capitals ("JAPAN GET LUCKY WIN"):
    there the token's own casing says nothing, while "Japan" in the story's text does.
    """
    seen: dict[str, int] = {}
    for tokens in sentences:
        for token in tokens[1:]:
            if token[:1].isalpha() and not (len(token) > 1 and token.isupper()):
                key = token.lower()
                seen[key] = seen.get(key, 0) | (1 if token[0].isupper() else 2)
    return [tuple(seen.get(token.lower(), 0) if token[:1].isalpha() else 0 for token in tokens) for tokens in sentences]


class TokenIds:
    """Word id, character ids, casing class and word class (`clusters.py`; 0 without them) of a token, memoised per
    instance: a text repeats its words. With a `tagger`, also what spaCy's NER says of a sentence's tokens."""

    def __init__(
        self, words: Vocab, chars: Vocab, clusters: WordClusters | None = None, tagger: OntoNotesTagger | None = None
    ):
        self.words, self.chars, self.clusters, self.tagger = words, chars, clusters, tagger
        self._known: dict[str, tuple[int, tuple[int, ...], int, int]] = {}

    def __call__(self, token: str) -> tuple[int, tuple[int, ...], int, int]:
        found = self._known.get(token)
        if found is None:
            spelling = tuple(self.chars.index(char) for char in token[:MAX_CHARS])
            word_class = self.clusters.index(token) if self.clusters is not None else PAD
            found = self._known[token] = (word_index(self.words, token), spelling, casing(token), word_class)
        return found
