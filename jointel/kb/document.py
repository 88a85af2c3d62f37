"""Candidates from within the document: a short mention that repeats part of an earlier, longer one.

News names an entity in full once, then shortly: "Bill Clinton" … "Clinton", "Manchester United" … "United", "the
New York Stock Exchange" … "NYSE". The short form's own candidates rank the most common "Clinton" first (or, among
5.9 million titles, some other "United"); the full mention's candidates are what the writer meant. So a mention
whose words end an earlier mention's words, or that spells its initials, also gets that mention's candidates, with
the earlier mention's prior where it is higher (the most recent such mention counts). First words are no short
name: "Paris" after "Paris Hilton", "New York" after "New York Stock Exchange" name other entities.
"""

from __future__ import annotations

from collections.abc import Sequence

from jointel.kb.lookup import Candidate
from jointel.kb.normalize import normalize

_SKIPPED_IN_INITIALS = frozenset({"of", "the", "and", "for", "de", "du", "la", "der", "&"})


def document_candidates(
    surfaces: Sequence[str], own: Sequence[list[Candidate]], k: int | None
) -> list[list[Candidate]]:
    """The candidates of each mention of one document (`surfaces` in text order, `own` their own top-k lists), with
    what the earlier mentions that it shortens add (see the module docstring), top-k."""
    found: list[list[Candidate]] = []
    words = [normalize(surface).split() for surface in surfaces]
    # last word or initials → the earlier mentions that a name ending in that word, or spelling them, may shorten, in
    # text order: a short name shares its last word with the full one, and a one-word short name is its own last word
    earlier: dict[str, list[int]] = {}
    for i, candidates in enumerate(own):
        possible = earlier.get(words[i][-1], []) if words[i] else []
        source = next((j for j in reversed(possible) if shortens(words[i], words[j])), None)
        found.append(list(candidates) if source is None else _merged(candidates, found[source], k))
        for key in {words[i][-1], *_initials(words[i])} if words[i] else ():
            earlier.setdefault(key, []).append(i)
    return found


def shortens(short: Sequence[str], full: Sequence[str]) -> bool:
    """Whether `short` (normalised words) names `full` shortly: its last words, or its initials."""
    if not short or len(short) >= len(full):
        return False
    n = len(short)
    if list(full[-n:]) == list(short):
        return True
    return n == 1 and len(short[0]) >= 2 and short[0] in _initials(full)


def _initials(words: Sequence[str]) -> tuple[str, str]:
    """The initials of all words and of the content words: "Bank of England" is "boe", and "be" without "of"."""
    return "".join(word[0] for word in words), "".join(word[0] for word in words if word not in _SKIPPED_IN_INITIALS)


def _merged(own: list[Candidate], earlier: list[Candidate], k: int | None) -> list[Candidate]:
    """Both lists as one, each entity with the higher of its priors, best first (prior, then popularity)."""
    best: dict[str, Candidate] = {}
    for candidate in [*own, *earlier]:
        known = best.get(candidate.entity)
        if known is None or candidate.prior > known.prior:
            best[candidate.entity] = candidate
    ranked = sorted(best.values(), key=lambda c: (-c.prior, -c.popularity, c.entity))
    return ranked[:k]
