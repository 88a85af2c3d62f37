"""The features of a mention's candidates that exist for any entity, seen in training or not.

A candidate's prior, popularity, rank and name match (`candidate_features`), what the rest of its document says
about it (`document_context`: coherence, containment, Wikipedia links), and its coarse type; `candidate_set` packs one
mention's candidates into the arrays the linker reads, and `title_words`/`topic_words` give an entity's title as words.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
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

    Computed as arrays over the document's distinct surfaces (rows) and candidate titles (columns): a document's
    links among its candidates number in the thousands.
    """
    keys = [normalize(surface) for surface, _ in mentions]
    row_of = {key: row for row, key in enumerate(dict.fromkeys(keys))}
    lists = _borrowing(mentions, keys, borrowed)
    titles = list(dict.fromkeys(c.entity for _, extended in lists for c in extended))
    column_of = {title: column for column, title in enumerate(titles)}
    priors, listed = _surface_priors(keys, mentions, row_of, column_of)  # (S, T) each
    coherence = priors.sum(0) - priors  # the other surfaces' priors
    pairs = links_among(titles) if links_among is not None else None
    linked, link_prior, link_share, isolated = _link_features(priors, listed, pairs)
    rows = [row_of[key] for key, (_, extended) in zip(keys, lists, strict=True) for _ in extended]
    columns = [column_of[candidate.entity] for _, extended in lists for candidate in extended]
    table = np.stack(
        [
            coherence[rows, columns],
            np.zeros(len(columns)),  # containment, filled below
            link_prior[columns] - linked[rows, columns],
            link_share[rows, columns],
            isolated[columns],
        ],
        axis=1,
    )
    first = 0
    for longer, extended in lists:
        end = first + len(extended)
        if longer:
            table[first:end, 1] = priors[[row_of[keys[j]] for j in longer]][:, columns[first:end]].max(0)
        first = end
    rows_of_table = iter(map(CandidateContext._make, table.tolist()))
    return [(extended, [next(rows_of_table) for _ in extended]) for _, extended in lists]


def _borrowing(
    mentions: Sequence[tuple[str, Sequence[Candidate]]], keys: Sequence[str], borrowed: int
) -> list[tuple[list[int], list[Candidate]]]:
    """Per mention: the longer mentions that contain its words, and its candidates with the top `borrowed` of theirs
    (prior 0: this surface never named them) added."""
    words = [set(key.split()) for key in keys]
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
    return lists


def _surface_priors(
    keys: Sequence[str],
    mentions: Sequence[tuple[str, Sequence[Candidate]]],
    row_of: Mapping[str, int],
    column_of: Mapping[str, int],
) -> tuple[np.ndarray, np.ndarray]:
    """(S, T): each surface's best prior for each title (0 if not its candidate), and whether it lists the title."""
    rows, columns, values = [], [], []
    for key, (_, candidates) in zip(keys, mentions, strict=True):
        for candidate in candidates:
            rows.append(row_of[key])
            columns.append(column_of[candidate.entity])
            values.append(candidate.prior)
    shape = (len(row_of), len(column_of))
    cells = np.ravel_multi_index((rows, columns), shape) if rows else np.zeros(0, dtype=np.int64)
    priors = np.zeros(shape[0] * shape[1])
    np.maximum.at(priors, cells, values)  # a surface met twice lists its candidates twice
    listed = np.zeros(shape[0] * shape[1], dtype=bool)
    listed[cells] = True
    return priors.reshape(shape), listed.reshape(shape)


def _link_features(
    priors: np.ndarray, listed: np.ndarray, pairs: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """From the link `pairs` among the titles (positions, both ways; None: no links read):

    - linked (S, T): the best prior of a surface's candidates that the title links with (0 if none);
    - link_prior (T,): its Σ over all surfaces (a mention subtracts its own surface's share);
    - link_share (S, T): the share of the other surfaces (those with candidates) with a candidate the title links
      with, seen from a mention of each surface;
    - isolated (T,): 1 for a title that links with no candidate of the document, when links are read.
    """
    S, T = priors.shape
    linked, link_share = np.zeros((S, T)), np.zeros((S, T))
    if pairs is None:
        return linked, linked.sum(0), link_share, np.zeros(T)
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
    titles, starts = np.unique(pairs[:, 0], return_index=True)  # each linked title's run of pairs
    if len(titles):
        neighbours = pairs[:, 1]
        linked[:, titles] = np.maximum.reduceat(priors[:, neighbours], starts, axis=1)
        reached = np.zeros((S, T), dtype=bool)
        reached[:, titles] = np.logical_or.reduceat(listed[:, neighbours], starts, axis=1)
        link_share = (reached.sum(0) - reached) / max(1, int(listed.any(1).sum()) - 1)
    isolated = np.ones(T)
    isolated[titles] = 0.0
    return linked, linked.sum(0), link_share, isolated
