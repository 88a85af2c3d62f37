"""From sentences to the integers the network reads: word, character and casing ids, oracle actions, candidates.

Everything here is plain Python on one sentence at a time; `batch.py` pads and stacks the results into tensors.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from jointel.data.documents import LABELS, Sentence, Span
from jointel.kb.lookup import Candidate
from jointel.kb.normalize import normalize
from jointel.model.transitions import Op, oracle
from jointel.model.vocab import Vocab

ACTIONS = ("SHIFT", "OUT", *(f"REDUCE-{label}" for label in LABELS))
SHIFT_ID, OUT_ID, REDUCE_ID = 0, 1, 2  # REDUCE-X is REDUCE_ID + LABELS.index(X)
ENTITY_TYPES = ("PER", "ORG", "GPE", "UNK")
_TYPE_INDEX = {kind: index for index, kind in enumerate(ENTITY_TYPES[:3])}  # any other type is UNK (3)
N_CANDIDATE_FEATURES = 11  # candidate_features; models read a prefix of them, see `features_read`
N_LOCAL_FEATURES = 8
MAX_CHARS = 20
_TITLE_WORD = re.compile(r"[^\W_]+")
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


def action_id(op: Op, label: str | None) -> int:
    if op is Op.SHIFT:
        return SHIFT_ID
    if op is Op.OUT:
        return OUT_ID
    return REDUCE_ID + LABELS.index(label or "")


@functools.lru_cache(maxsize=1 << 17)
def title_words(title: str) -> tuple[str, ...]:
    """`"Paris_Saint-Germain_F.C."` → `("paris", "saint", "germain", "f", "c")`: the entity's name as words.

    Memoised (a pure function): every batch of candidates reads the titles of the same popular entities."""
    return tuple(word.lower() for word in _TITLE_WORD.findall(title.split("_(")[0]))


@functools.lru_cache(maxsize=1 << 17)
def topic_words(title: str) -> tuple[str, ...]:
    """Every word of a title, its parenthesis included: `"Japan_national_football_team"`, `"Nelson_(cricket)"` say
    what the entity is about, which `document_words` can be compared with."""
    return tuple(word.lower() for word in _TITLE_WORD.findall(title))


COMMON_WORDS = 100  # the vocabulary lists GloVe words by frequency after PAD and UNK: these are function words
MAX_DOCUMENT_WORDS = 400


def document_words(sentences: Sequence[Sequence[str]], token_ids: TokenIds) -> tuple[int, ...]:
    """The distinct content words of a document as word ids: what the story is about ("cricket", "innings"), for
    telling a country from its national team. Unknown and the commonest words are left out."""
    ids = {token_ids(token)[0] for tokens in sentences for token in tokens}
    return tuple(sorted(i for i in ids if i >= 2 + COMMON_WORDS)[:MAX_DOCUMENT_WORDS])


@functools.lru_cache(maxsize=1 << 17)
def title_key(title: str) -> str:
    """The normalised name of an entity (memoised: a pure function called for every candidate)."""
    return normalize(" ".join(title_words(title)))


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
    mention_words, candidate_words = set(mention_key.split()), set(candidate_key.split())
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
LinksAmong = Callable[[Collection[str]], Mapping[str, Collection[str]]]  # titles → who links with whom among them


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
    others = max(1, len(priors) - 1)
    contexts = []
    for i, (longer, extended) in enumerate(lists):
        context = []
        for candidate in extended:
            own = priors.get(keys[i], {}).get(candidate.entity, 0.0)
            coherence = everywhere.get(candidate.entity, 0.0) - own
            containment = max((priors.get(keys[j], {}).get(candidate.entity, 0.0) for j in longer), default=0.0)
            surfaces = {key: prior for key, prior in linked.get(candidate.entity, {}).items() if key != keys[i]}
            isolated = float(links is not None and not links.get(candidate.entity))
            link_prior, link_share = sum(surfaces.values()), len(surfaces) / others
            context.append(CandidateContext(coherence, containment, link_prior, link_share, isolated))
        contexts.append((extended, context))
    return contexts


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


GAZETTEER_TYPES = ("PER", "ORG", "GPE", None)
N_GAZETTEER_CODES = 1 + 2 * len(GAZETTEER_TYPES)


@dataclass(frozen=True)
class Gazetteer:
    """The KB's aliases as a gazetteer for NER: which word n-grams name an entity, and of what coarse type.

    `table` maps an alias key to (type of its top entity, Σ prior score). `own` (alias key → this document's own
    gold links) hides aliases that only the document itself put in the KB, as `HeldOut` does for priors.
    """

    table: dict[str, tuple[str | None, float]]
    max_words: int = 4

    def codes(self, tokens: Sequence[str], own: dict[str, float] | None = None) -> tuple[int, ...]:
        """Per token 0 (no alias), or 1 + 2·type + (0 first word | 1 later word) of the longest alias match."""
        codes = [0] * len(tokens)
        i = 0
        while i < len(tokens):
            matched = self._match(tokens, i, own or {}) if tokens[i][:1].isupper() else None
            if matched is None:
                i += 1
                continue
            length, kind = matched
            codes[i : i + length] = [1 + 2 * kind] + [2 + 2 * kind] * (length - 1)
            i += length
        return tuple(codes)

    def _match(self, tokens: Sequence[str], start: int, own: dict[str, float]) -> tuple[int, int] | None:
        for length in range(min(self.max_words, len(tokens) - start), 0, -1):
            key = normalize(" ".join(tokens[start : start + length]))
            found = self.table.get(key)
            if found is not None and found[1] - own.get(key, 0.0) > 1e-9:
                return length, GAZETTEER_TYPES.index(found[0]) if found[0] in GAZETTEER_TYPES else 3
        return None


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


@dataclass(frozen=True)
class SentenceFeatures:
    """One sentence as integers; `spans` and `candidates` are the gold mentions (empty at prediction time)."""

    words: tuple[int, ...]
    chars: tuple[tuple[int, ...], ...]
    casing: tuple[int, ...]
    gazetteer: tuple[int, ...]
    actions: tuple[int, ...]
    spans: tuple[Span, ...]
    candidates: tuple[CandidateSet, ...]
    document_casing: tuple[int, ...] = ()  # `document_casing` codes; empty: all 0
    contextual: np.ndarray | None = field(default=None, compare=False)  # (T, contextual_dim) frozen vectors


class TokenIds:
    """Word id, character ids and casing class of a token, memoised per instance: a text repeats its words."""

    def __init__(self, words: Vocab, chars: Vocab):
        self.words, self.chars = words, chars
        self._known: dict[str, tuple[int, tuple[int, ...], int]] = {}

    def __call__(self, token: str) -> tuple[int, tuple[int, ...], int]:
        found = self._known.get(token)
        if found is None:
            spelling = tuple(self.chars.index(char) for char in token[:MAX_CHARS])
            found = self._known[token] = (word_index(self.words, token), spelling, casing(token))
        return found


def sentence_features(
    sentence: Sentence,
    token_ids: TokenIds,
    candidates: Sequence[CandidateSet] = (),
    gazetteer: Sequence[int] | None = None,
    document_casing: Sequence[int] = (),
    contextual: np.ndarray | None = None,
) -> SentenceFeatures:
    spans = tuple(sorted(sentence.spans, key=lambda span: span.start))
    ids = [token_ids(token) for token in sentence.tokens]
    return SentenceFeatures(
        words=tuple(word for word, _, _ in ids),
        chars=tuple(spelling for _, spelling, _ in ids),
        casing=tuple(case for _, _, case in ids),
        gazetteer=tuple(gazetteer) if gazetteer is not None else (0,) * len(sentence.tokens),
        actions=tuple(action_id(action.op, action.label) for action in oracle(len(sentence.tokens), spans)),
        spans=spans,
        candidates=tuple(candidates),
        document_casing=tuple(document_casing),
        contextual=contextual,
    )
