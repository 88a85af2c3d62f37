"""The features of a mention's candidates that exist for any entity, seen in training or not.

A candidate's prior, popularity, rank and name match (`candidate_features`), what the rest of its document says
about it (`document_context`: coherence, containment, Wikipedia links), and its coarse type; `candidate_set` packs one
mention's candidates into the arrays the linker reads, and `title_words`/`topic_words` give an entity's title as words.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from jointel.kb.lookup import Candidate
from jointel.kb.normalize import normalize
from jointel.kb.protocols import LinksAmong

ENTITY_TYPES = ("PER", "ORG", "GPE", "UNK")
_TYPE_INDEX = {kind: index for index, kind in enumerate(ENTITY_TYPES[:3])}  # any other type is UNK (3)
N_CANDIDATE_FEATURES = 11  # candidate_features; models read a prefix of them, see `features_read`
N_LOCAL_FEATURES = 8
_TITLE_WORD = re.compile(r"[^\W_]+")


@functools.lru_cache(maxsize=1 << 17)
def title_words(title: str) -> tuple[str, ...]:
    """`"Paris_Saint-Germain_F.C."` → `("paris", "saint", "germain", "f", "c")`: the entity's name as words.

    Memoised (a pure function): every batch of candidates reads the titles of the same popular entities."""
    return tuple(word.lower() for word in _TITLE_WORD.findall(title.split("_(")[0]))


@functools.lru_cache(maxsize=1 << 17)
def topic_words(title: str) -> tuple[str, ...]:
    """Every word of a title, its parenthesis included: `"Japan_national_football_team"`, `"Nelson_(cricket)"` say
    what the entity is about, which `document_words` (tokens.py) can be compared with."""
    return tuple(word.lower() for word in _TITLE_WORD.findall(title))


@functools.lru_cache(maxsize=1 << 17)
def title_key(title: str) -> str:
    """The normalised name of an entity (memoised: a pure function called for every candidate)."""
    return normalize(" ".join(title_words(title)))


@functools.lru_cache(maxsize=1 << 17)
def key_words(key: str) -> frozenset[str]:
    """The words of a normalised name, as a set (memoised: read for every candidate of every mention)."""
    return frozenset(key.split())


class CandidateContext(NamedTuple):
    """What the rest of the document says about one candidate of a mention (see `document_context`)."""

    coherence: float = 0.0  # Σ of its prior as a candidate of the document's mentions with another surface
    containment: float = 0.0  # its prior as a candidate of a longer mention containing this one
    link_prior: float = 0.0  # Σ over other surfaces of the best prior of their candidates it has a link with
    link_share: float = 0.0  # share of the other surfaces with a candidate it has a link with
    link_isolated: float = 0.0  # 1 if it links with no candidate of the document at all: its links say nothing


def candidate_features(mention_key: str, candidate: Candidate, rank: int, context: CandidateContext) -> list[float]:
    """Features of a candidate that exist for any entity, seen in training or not (see `document_context`).

    `mention_key` is the normalised mention (`KBAccess.match_key`). The last three (Wikipedia links) are read only
    by models with `link_coherence` (see `features_read`).
    """
    candidate_key = title_key(candidate.entity)
    mention_words, candidate_words = key_words(mention_key), key_words(candidate_key)
    overlap = len(mention_words & candidate_words) / max(1, len(mention_words | candidate_words))
    return [
        math.log(candidate.prior + 1e-4),
        candidate.popularity / 10.0,
        1.0 / (rank + 1),
        float(mention_key == candidate_key),
        overlap,
        float(candidate.prior == 0.0),
        math.log1p(context.coherence),
        context.containment,
        math.log1p(context.link_prior),
        context.link_share,
        context.link_isolated,
    ]


def features_read(link_coherence: bool, link_isolation: bool) -> int:
    """How many of the `candidate_features` a model reads: the local ones, then the link features it was made with
    (models made before a feature existed read the prefix they knew)."""
    return N_LOCAL_FEATURES + (2 + link_isolation if link_coherence else 0)


@dataclass(frozen=True, eq=False)
class CandidateSet:
    """The candidates of one mention, in the order the network scores them; `gold` indexes them.

    `gold` is `len(entities)` for NIL (the NIL slot follows the candidates) and -1 when the gold entity is not among
    the candidates (no linking loss is taken then). Features and types are arrays, ready to be stacked.
    """

    entities: tuple[str, ...]
    features: np.ndarray  # (C, N_CANDIDATE_FEATURES) float32
    types: np.ndarray  # (C,) int64, index into ENTITY_TYPES
    gold: int = -1
    document: tuple[int, ...] = ()  # `document_words` of the mention's document (one tuple shared by its mentions)


def candidate_set(
    mention: str,
    candidates: Sequence[Candidate],
    gold: str | None,
    is_annotated: bool,
    context: Sequence[CandidateContext] | None = None,
    document: tuple[int, ...] = (),
) -> CandidateSet:
    entities = tuple(candidate.entity for candidate in candidates)
    context = context or [CandidateContext()] * len(candidates)
    features = np.array(
        [candidate_features(mention, c, rank, context[rank]) for rank, c in enumerate(candidates)], dtype=np.float32
    ).reshape(len(candidates), N_CANDIDATE_FEATURES)
    types = np.array([_TYPE_INDEX.get(c.type, 3) for c in candidates], dtype=np.int64)
    if not is_annotated:
        index = -1
    elif gold is None:
        index = len(entities)
    else:
        index = entities.index(gold) if gold in entities else -1
    return CandidateSet(entities, features, types, index, document)


MentionContext = tuple[list[Candidate], list[CandidateContext]]


def document_context(
    mentions: Sequence[tuple[str, Sequence[Candidate]]], borrowed: int = 2, links_among: LinksAmong | None = None
) -> list[MentionContext]:
    """Candidates and their `CandidateContext` per mention: what the other mentions of the document say.

    - coherence: Σ of the candidate's prior over the document's mentions with another surface (PPRforNED's idea:
      entities of one story are candidates of each other's mentions);
    - containment: its prior as a candidate of a longer mention whose words include all of this one's
      ("Simmons" after "Phil Simmons"), whose top `borrowed` candidates also join this mention's list;
    - with `links_among` (the KB's Wikipedia links), how strongly the candidate is linked with candidates of the
      other surfaces: entities of one story link to each other ("Munich" the city and "Bayern_Munich"); and
      whether it links with no candidate of the document at all, as an entity the KB knows no links of (one a
      user added) does: its silence is then no evidence against it.
    """
    keys = [normalize(surface) for surface, _ in mentions]
    words = [set(key.split()) for key in keys]
    priors: dict[str, dict[str, float]] = {}
    for key, (_, candidates) in zip(keys, mentions, strict=True):
        for candidate in candidates:
            known = priors.setdefault(key, {})
            known[candidate.entity] = max(known.get(candidate.entity, 0.0), candidate.prior)
    everywhere: dict[str, float] = {}
    for known in priors.values():
        for entity, prior in known.items():
            everywhere[entity] = everywhere.get(entity, 0.0) + prior
    lists = []
    for i, (_, candidates) in enumerate(mentions):
        longer = [j for j in range(len(mentions)) if words[i] and words[i] < words[j]]
        extended = list(candidates)
        seen = {candidate.entity for candidate in candidates}
        for j in longer:
            for candidate in mentions[j][1][:borrowed]:
                if candidate.entity not in seen:
                    seen.add(candidate.entity)
                    extended.append(Candidate(candidate.entity, 0.0, candidate.popularity, candidate.type))
        lists.append((longer, extended))
    titles = {c.entity for _, extended in lists for c in extended}
    links = links_among(titles) if links_among is not None else None  # every candidate of `priors` is in `titles`
    linked = _linked_surfaces(priors, links or {})
    linked_sums = {entity: (sum(best.values()), len(best)) for entity, best in linked.items()}
    others = max(1, len(priors) - 1)
    contexts = []
    for i, (longer, extended) in enumerate(lists):
        key, own_priors = keys[i], priors.get(keys[i], {})
        contained = _best_priors(priors.get(keys[j], {}) for j in longer)
        context = []
        for candidate in extended:
            entity = candidate.entity
            coherence = everywhere.get(entity, 0.0) - own_priors.get(entity, 0.0)
            link_prior, link_surfaces = _other_surfaces(linked.get(entity, {}), linked_sums.get(entity, (0.0, 0)), key)
            isolated = float(links is not None and not links.get(entity))
            context.append(
                CandidateContext(coherence, contained.get(entity, 0.0), link_prior, link_surfaces / others, isolated)
            )
        contexts.append((extended, context))
    return contexts


def _best_priors(known: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Entity → its best prior over several surfaces' candidates."""
    best: dict[str, float] = {}
    for priors in known:
        for entity, prior in priors.items():
            best[entity] = max(best.get(entity, 0.0), prior)
    return best


def _other_surfaces(best: Mapping[str, float], sums: tuple[float, int], key: str) -> tuple[float, int]:
    """Σ of an entity's `_linked_surfaces` priors and their count, the mention's own surface `key` left out: the
    document's sums, less the own surface's share (one subtraction per candidate, not a sum)."""
    own = best.get(key)
    return sums if own is None else (sums[0] - own, sums[1] - 1)


def _linked_surfaces(
    priors: Mapping[str, Mapping[str, float]], links: Mapping[str, Collection[str]]
) -> dict[str, dict[str, float]]:
    """Entity → surface key → the best prior of that surface's candidates that the entity has a link with."""
    linked: dict[str, dict[str, float]] = {}
    for key, known in priors.items():
        for entity, prior in known.items():
            for neighbour in links.get(entity, ()):
                best = linked.setdefault(neighbour, {})
                best[key] = max(best.get(key, 0.0), prior)
    return linked
