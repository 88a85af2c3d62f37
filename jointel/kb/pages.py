"""One entity per Wikipedia page, whatever title each source gives it.

AIDA's links (2010) and PPRforNED's candidates (about 2014) sometimes name one page by two titles: a page renamed
in between ("Academy_Award" → "Academy_Awards", "New_Jersey_Nets" → "Brooklyn_Nets") or respelled ("Bistriţa" →
"Bistrița"). Both carry the same page id. Kept apart they are two entities, and the worse one is gold: PPRforNED
gives popularity, type, candidate lists and links to its own title only, so the AIDA title has none of them, and a
training mention linked to it sees its well-described twin as a wrong candidate. Merged, the entity keeps the title
the gold links use (the one the corpus and trained models name), takes what PPRforNED says of the other title, and
the other title stays one of its names.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Set
from dataclasses import replace

from jointel.kb.sources import PprMention


def same_page_titles(
    mentions: Iterable[PprMention], aida_page_ids: Mapping[str, int], gold_titles: Set[str]
) -> dict[str, str]:
    """PPRforNED title → the gold title of the same page: for each candidate title that no gold link names and
    whose page exactly one gold title has (with two, which one it is cannot be told)."""
    gold_of_page: dict[int, set[str]] = defaultdict(set)
    for title in gold_titles:
        if title in aida_page_ids:
            gold_of_page[aida_page_ids[title]].add(title)
    merged = {}
    for mention in mentions:
        for candidate in mention.candidates:
            golds = gold_of_page.get(candidate.page_id, set())
            if candidate.entity not in gold_titles and len(golds) == 1:
                merged[candidate.entity] = next(iter(golds))
    return merged


def renamed(mentions: Iterable[PprMention], titles: Mapping[str, str]) -> list[PprMention]:
    """`mentions` with each title in `titles` replaced by what it maps to; a candidate listed twice once renamed
    is kept once, where it first appears."""
    result = []
    for mention in mentions:
        candidates = {}
        for candidate in mention.candidates:
            entity = titles.get(candidate.entity, candidate.entity)
            candidates.setdefault(entity, replace(candidate, entity=entity))
        entity = titles.get(mention.entity, mention.entity) if mention.entity is not None else None
        result.append(replace(mention, entity=entity, candidates=tuple(candidates.values())))
    return result
