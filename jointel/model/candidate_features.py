"""The features of a mention's candidates that exist for any entity, seen in training or not.

A candidate's prior, popularity, rank and name match (`candidate_features`), what the rest of its document says
about it (`document_context`: coherence, containment, Wikipedia links), and its coarse type; `candidate_sets` packs
each mention's candidates into the arrays the linker reads, and `title_words`/`topic_words` give an entity's title as
words.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


# What the rest of the document says about a candidate (`document_context`): one row per candidate, these columns.
CONTEXT_COLUMNS = (
    "coherence",  # Σ of its prior as a candidate of the document's mentions with another surface
    "containment",  # its prior as a candidate of a longer mention containing this one
    "link_prior",  # Σ over other surfaces of the best prior of their candidates it has a link with
    "link_share",  # share of the other surfaces with a candidate it has a link with
    "link_isolated",  # 1 if it links with no candidate of the document at all: its links say nothing
)
LINK_COLUMNS = slice(2, 5)


def candidate_features(
    mention_keys: Sequence[str], lists: Sequence[Sequence[Candidate]], context: np.ndarray
) -> np.ndarray:
    """(N, N_CANDIDATE_FEATURES) float32: the features of every candidate of a document's mentions, mention after
    mention, that exist for any entity, seen in training or not; `context` holds their `document_context` rows.

    `mention_keys` are the normalised mentions (`KBAccess.match_key`). The last three (Wikipedia links) are read
    only by models with `link_coherence` (see `features_read`). Computed for the whole document at once: a
    document's candidates number in the thousands.
    """
    candidates = [candidate for candidates in lists for candidate in candidates]
    sizes = [len(candidates) for candidates in lists]
    keys = [key for key, size in zip(mention_keys, sizes, strict=True) for _ in range(size)]
    prior = np.array([candidate.prior for candidate in candidates], dtype=np.float64)
    rank = np.arange(len(candidates)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    features = np.empty((len(candidates), N_CANDIDATE_FEATURES), dtype=np.float32)
    features[:, 0] = np.log(prior + 1e-4)
    features[:, 1] = np.array([candidate.popularity for candidate in candidates], dtype=np.float64) / 10.0
    features[:, 2] = 1.0 / (rank + 1)
    matches = [_name_match(key, candidate.entity) for key, candidate in zip(keys, candidates, strict=True)]
    features[:, 3:5] = np.array(matches, dtype=np.float64).reshape(-1, 2)
    features[:, 5] = prior == 0.0
    features[:, 6] = np.log1p(context[:, 0])  # coherence
    features[:, 7] = context[:, 1]  # containment
    features[:, 8] = np.log1p(context[:, 2])  # link prior
    features[:, 9:11] = context[:, 3:5]  # link share, isolated
    return features


def _name_match(mention_key: str, title: str) -> tuple[float, float]:
    """Is the title the mention's name, and the share of their words in common."""
    candidate_key = title_key(title)
    mention_words, candidate_words = key_words(mention_key), key_words(candidate_key)
    overlap = len(mention_words & candidate_words) / max(1, len(mention_words | candidate_words))
    return float(mention_key == candidate_key), overlap


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


def candidate_sets(
    mention_keys: Sequence[str],
    contexts: Sequence[MentionContext],
    golds: Sequence[str | None],
    annotated: Sequence[bool],
    document: tuple[int, ...] = (),
) -> list[CandidateSet]:
    """The candidate sets of a document's mentions from their (candidates, context rows), with `golds` indexed
    where `annotated` (see `CandidateSet.gold`)."""
    lists = [candidates for candidates, _ in contexts]
    context = np.concatenate([rows for _, rows in contexts]) if contexts else np.zeros((0, len(CONTEXT_COLUMNS)))
    features = candidate_features(mention_keys, lists, context)
    sets, first = [], 0
    for candidates, gold, is_annotated in zip(lists, golds, annotated, strict=True):
        end = first + len(candidates)
        entities = tuple(candidate.entity for candidate in candidates)
        types = np.array([_TYPE_INDEX.get(c.type, 3) for c in candidates], dtype=np.int64)
        sets.append(
            CandidateSet(entities, features[first:end], types, _gold_index(entities, gold, is_annotated), document)
        )
        first = end
    return sets


def _gold_index(entities: tuple[str, ...], gold: str | None, is_annotated: bool) -> int:
    if not is_annotated:
        return -1
    if gold is None:
        return len(entities)
    return entities.index(gold) if gold in entities else -1


MentionContext = tuple[list[Candidate], np.ndarray]  # a mention's candidates, and their rows of CONTEXT_COLUMNS


def document_context(
    mentions: Sequence[tuple[str, Sequence[Candidate]]], borrowed: int = 2, links_among: LinksAmong | None = None
) -> list[MentionContext]:
    """Candidates and their context (rows of `CONTEXT_COLUMNS`) per mention: what the other mentions of the document
    say.

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
    if not mentions:
        return []
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
    ends = np.cumsum([len(extended) for _, extended in lists])
    return [(extended, rows) for (_, extended), rows in zip(lists, np.split(table, ends[:-1]), strict=True)]


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
