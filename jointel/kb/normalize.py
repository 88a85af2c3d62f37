"""Alias keys: the one `normalize()` used both when the KB is built and when it is queried.

A mention and a Wikipedia title match when their keys are equal, so the key drops what varies between the way
news text and titles spell the same name: accents ("Juppé"), case, typographic quotes and dashes, full stops in
abbreviations ("U.S." = "US") and all other punctuation, which becomes a space ("Paris, Texas" = "Paris_Texas").
Keeping apostrophes, hyphens and ampersands inside words ("O'Neill", "AT&T") was measured and dropped: it made no
difference to testa recall@1 and lost 0.03 points of recall@5.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Typographic variants → ASCII; "_" because Wikipedia titles use it for spaces.
_UNIFY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
        "`": "'",
        "´": "'",
        "′": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
        "ʻ": "'",
        "ʿ": "'",
        "_": " ",
        ".": "",
        "ı": "i",  # letters that NFKD does not decompose
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
    }
)
_PUNCTUATION = re.compile(r"[^\w\s]")
_SPACES = re.compile(r"\s+")
_THE = "the "
_COMPANY_SUFFIXES = frozenset({"inc", "corp", "co", "ltd", "plc", "ag", "sa", "nv", "llc", "group", "holdings"})
_POSSESSIVE = re.compile(r"['’]s?\s*$")


@functools.lru_cache(maxsize=1 << 16)
def normalize(alias: str) -> str:
    """The lookup key of a surface form or title: accent-free, casefolded, punctuation-light, single-spaced.

    Memoised (a pure function): the gazetteer and the linker normalise the same n-grams of a text many times.
    """
    if not alias.isascii():
        alias = _strip_accents(alias)
    key = alias.casefold().translate(_UNIFY)
    key = _PUNCTUATION.sub(" ", key)
    return _SPACES.sub(" ", key).strip()


def _strip_accents(text: str) -> str:
    """NFKD then drop combining marks; twice around casefold because casefolding can decompose further ("İ")."""
    text = unicodedata.normalize("NFKD", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(char for char in text if not unicodedata.combining(char))


def alias_variants(alias: str) -> list[str]:
    """Fallback keys for an alias whose own key is unknown, most specific first, without the key itself.

    Each undoes one way text decorates a name: a possessive ("Britain's"), a leading article ("the
    Netherlands"), a company suffix ("Johnson Controls Inc."), a plural ("Afrikaners"). They serve few AIDA
    mentions (+0.2 points of testa recall@1 together) but more of raw user text. The last word of the alias
    ("Mao Tse-Tung" → "tung") is deliberately not a variant: as the final fallback it gained 0.5 points of testa
    recall@1 (25 mentions) but gave candidates to 193 more of the 1,139 testa NIL mentions. Person surnames are
    indexed at build time instead, for person-like titles only (`jointel.kb.prior`).
    """
    key = normalize(alias)
    bare = normalize(_POSSESSIVE.sub("", alias)).removeprefix(_THE)
    variants = [normalize(_POSSESSIVE.sub("", alias)), bare, key.removeprefix(_THE)]
    words = bare.split()
    if len(words) > 1 and words[-1] in _COMPANY_SUFFIXES:
        variants.append(" ".join(words[:-1]))
    if bare.endswith("s") and len(bare) > 3:
        variants.append(normalize(bare[:-1]))
    return [
        variant
        for index, variant in enumerate(variants)
        if variant and variant != key and variant not in variants[:index]
    ]
