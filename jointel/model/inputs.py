"""Documents → the network's inputs, built one way for every use.

- `decoding_features`: what the parser reads of a document's tokens (prediction, evaluation, annotation);
- `gold_features`: the same token features, plus the gold actions and each gold mention's candidate set (teacher
  forcing in training; linking given mentions);
- `predicted_candidate_sets`: the candidate sets of the mentions the parser found, for linking them.

Both modes go through `_document_features` and `_candidate_sets`, so a model reads in use exactly the inputs it was
trained on. `KBAccess` says what is read from the KB; the candidate protocols themselves are in `jointel.kb.protocols`.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from jointel.data.documents import Document, Sentence, Span
from jointel.kb.lookup import KB, Candidate, names_kb
from jointel.kb.normalize import normalize
from jointel.kb.protocols import CandidateProtocol, LinksAmong, candidate_protocol
from jointel.model.candidate_features import (
    LINK_COLUMNS,
    CandidateSet,
    MentionContext,
    candidate_sets,
    document_context,
)
from jointel.model.config import ModelConfig
from jointel.model.features import SentenceFeatures, sentence_features
from jointel.model.gazetteer import Gazetteer, TitleGazetteer
from jointel.model.tokens import TokenIds, document_casing, document_words

Vectors = Sequence[np.ndarray | None]  # a document's contextual vectors: per sentence (T, D), or None without them


@dataclass(frozen=True)
class KBAccess:
    """What the model reads from the KB: candidates under a protocol, the alias gazetteer, and (`with_links`) the
    Wikipedia links among candidates (for `link_coherence`); `match_key` is the mention as the candidates'
    string-match features see it (see `ModelConfig.normalized_match`)."""

    protocol: CandidateProtocol
    gazetteer: Gazetteer | TitleGazetteer | None = None
    with_links: bool = False
    match_key: Callable[[str], str] = normalize

    @classmethod
    def open(
        cls,
        kb: KB,
        protocol: str,
        k: int,
        with_gazetteer: bool = True,
        with_links: bool = False,
        normalized_match: bool = True,
        gazetteer_source: str = "kb",
        gazetteer_word_end: bool = False,
    ) -> KBAccess:
        """Top-`k` candidates (and their links) under the protocol called `protocol` (see `jointel.kb.protocols`),
        and a gazetteer of `kb`'s aliases, or with `gazetteer_source` "wikipedia" ("wikipedia-typed") of Wikipedia's
        names (`TitleGazetteer`)."""
        candidates = candidate_protocol(protocol, kb, k)
        gazetteer = None
        if with_gazetteer:
            if gazetteer_source == "kb":
                gazetteer = Gazetteer(kb.alias_table(), word_end=gazetteer_word_end)
            else:
                names = names_kb(kb)
                typed = gazetteer_source == "wikipedia-typed"
                also = kb if names is not kb else None
                gazetteer = TitleGazetteer(names, word_end=gazetteer_word_end, also=also, typed=typed)
        return cls(candidates, gazetteer, with_links, normalize if normalized_match else str)

    @classmethod
    def for_model(cls, kb: KB, protocol: str, config: ModelConfig) -> KBAccess:
        """What a model of `config` reads: its number of candidates, and the gazetteer and links if it uses them."""
        return cls.open(
            kb,
            protocol,
            config.max_candidates,
            config.gazetteer_dim > 0,
            config.link_coherence,
            config.normalized_match,
            config.gazetteer_source,
            config.gazetteer_word_end,
        )

    def links(self, document_number: int, held_out: bool) -> LinksAmong | None:
        """The links among a document's candidates, if the model reads them (see `CandidateProtocol.links`)."""
        return self.protocol.links(document_number, held_out) if self.with_links else None


def decoding_features(
    documents: Sequence[Sequence[Sentence]],
    token_ids: TokenIds,
    access: KBAccess | None,
    vectors: Sequence[Vectors] | None = None,
) -> list[SentenceFeatures]:
    """Inputs of every sentence of `documents` read from its tokens alone: spans the sentences carry (gold ones, in
    evaluation) must not reach the parser. `vectors` are each document's contextual vectors, if the model reads
    them (`contextual_source.contextual_vectors`)."""
    vectors = vectors if vectors is not None else [[None] * len(document) for document in documents]
    gazetteer = access.gazetteer if access is not None else None
    features = []
    for document, document_vectors in zip(documents, vectors, strict=True):
        sentences = [Sentence(sentence.tokens) for sentence in document]
        features += _document_features(sentences, token_ids, gazetteer, document_vectors)
    return features


def gold_features(
    documents: Sequence[Document],
    token_ids: TokenIds,
    access: KBAccess | None,
    vectors: Sequence[Vectors] | None = None,
    held_out: HeldOut | None = None,
    with_candidates: bool = True,
    name_only: NameOnly | None = None,
) -> list[SentenceFeatures]:
    """`decoding_features` with the gold actions and (given `access` and `with_candidates`) each gold mention's
    candidate set: teacher forcing in training, and linking given mentions.

    With `held_out` (for training documents), each document's own gold links are taken out of its mentions' priors
    and of the gazetteer, so that training sees the KB as unseen text will; with `name_only`, some gold entities
    look as entities known by name alone do.
    """
    vectors = vectors if vectors is not None else [[None] * len(document.sentences) for document in documents]
    gazetteer = access.gazetteer if access is not None else None
    features = []
    for document, document_vectors in zip(documents, vectors, strict=True):
        own = own_links(document) if held_out is not None else {}
        own_totals = {key: float(sum(counts.values())) for key, counts in own.items()}
        candidates = None
        if access is not None and with_candidates:
            candidates = gold_candidate_sets(document, token_ids, access, held_out, own, name_only)
        features += _document_features(
            document.sentences, token_ids, gazetteer, document_vectors, candidates, own_totals
        )
    return features


def _document_features(
    sentences: Sequence[Sentence],
    token_ids: TokenIds,
    gazetteer: Gazetteer | TitleGazetteer | None,
    vectors: Vectors,
    candidates: Sequence[Sequence[CandidateSet]] | None = None,
    own_totals: dict[str, float] | None = None,
) -> list[SentenceFeatures]:
    """The one place a document's sentences become inputs: token ids, gazetteer codes (without `own_totals`, a
    training document's own links), how the document writes each word, contextual vectors, spaCy's NER tags (if
    `token_ids` has a tagger), and the actions and `candidates` of the spans the sentences carry."""
    tokens = [sentence.tokens for sentence in sentences]
    casing = document_casing(tokens)
    candidates = candidates if candidates is not None else [()] * len(sentences)
    tags = token_ids.tagger.codes(tokens) if token_ids.tagger is not None else [()] * len(sentences)
    if gazetteer is not None:
        gazetteer = gazetteer.for_document(tokens)
    return [
        sentence_features(
            sentence,
            token_ids,
            sentence_candidates,
            gazetteer.codes(sentence.tokens, own_totals) if gazetteer is not None else None,
            sentence_casing,
            sentence_vectors,
            sentence_tags,
        )
        for sentence, sentence_candidates, sentence_casing, sentence_vectors, sentence_tags in zip(
            sentences, candidates, casing, vectors, tags, strict=True
        )
    ]


def gold_candidate_sets(
    document: Document,
    token_ids: TokenIds,
    access: KBAccess,
    held_out: HeldOut | None = None,
    own: dict[str, Counter[str]] | None = None,
    name_only: NameOnly | None = None,
) -> list[list[CandidateSet]]:
    """Candidate sets of the document's gold spans, per sentence, span by span (sorted by start).

    `own` is `own_links(document)` when `held_out` is given (computed once by the caller for the gazetteer too).
    """
    spans = [sorted(sentence.spans, key=lambda span: span.start) for sentence in document.sentences]
    mentions = [
        (sentence.tokens, span) for sentence, row in zip(document.sentences, spans, strict=True) for span in row
    ]
    tokens = [sentence.tokens for sentence in document.sentences]
    sets = iter(_candidate_sets(document.number, tokens, mentions, token_ids, access, True, held_out, own, name_only))
    return [[next(sets) for _ in row] for row in spans]


def predicted_candidate_sets(
    document_number: int,
    sentences: Sequence[Sequence[str]],
    mentions: Sequence[tuple[Sequence[str], Span]],
    token_ids: TokenIds,
    access: KBAccess,
) -> list[CandidateSet]:
    """Candidate sets of the mentions the parser found in a document (its `sentences`), as (sentence tokens, span)
    pairs: the same sets as `gold_candidate_sets`, with no gold entity."""
    return _candidate_sets(document_number, sentences, mentions, token_ids, access, is_gold=False)


def _candidate_sets(
    document_number: int,
    sentences: Sequence[Sequence[str]],
    mentions: Sequence[tuple[Sequence[str], Span]],
    token_ids: TokenIds,
    access: KBAccess,
    is_gold: bool,
    held_out: HeldOut | None = None,
    own: dict[str, Counter[str]] | None = None,
    name_only: NameOnly | None = None,
) -> list[CandidateSet]:
    """Each mention's candidates (with held-out priors for a training document), what the rest of the document says
    about them (`document_context`), and the document's words (`document_words`); gold spans index their entity."""
    topic = document_words(sentences, token_ids)
    own = own or {}
    surfaces = [" ".join(tokens[span.start : span.end]) for tokens, span in mentions]
    lists = [access.protocol.candidates(document_number, surface) for surface in surfaces]
    if held_out is not None:
        links_out = held_out.links_out(document_number, own)
        lists = [
            held_out.remove(candidates, surface, links_out(normalize(surface)))
            for surface, candidates in zip(surfaces, lists, strict=True)
        ]
    listed = list(zip(surfaces, access.protocol.in_document(surfaces, lists), strict=True))
    contexts = document_context(listed, links_among=access.links(document_number, held_out is not None))
    golds = [span.entity if is_gold else None for _, span in mentions]
    annotated = [is_gold and span.is_annotated for _, span in mentions]
    if name_only is not None:
        contexts, annotated = name_only.shown(document_number, surfaces, golds, contexts, annotated)
    return candidate_sets([access.match_key(surface) for surface in surfaces], contexts, golds, annotated, topic)


def own_links(document: Document) -> dict[str, Counter[str]]:
    """normalised surface → entity → gold links of this document (what the KB prior counted from it)."""
    links: dict[str, Counter[str]] = {}
    for sentence in document.sentences:
        for span in sentence.spans:
            if span.entity is not None:
                key = normalize(" ".join(sentence.tokens[span.start : span.end]))
                links.setdefault(key, Counter())[span.entity] += 1
    return links


@dataclass(frozen=True)
class HeldOut:
    """Leave-one-document-out priors for training mentions.

    The KB prior of a train alias counts the train documents' own gold links, so on train the top candidate is
    right 94% of the time against 83% on testa: a linker trained on those priors learns to trust them too much.
    Removing the document's own links (score = prior · total, minus own count) gives priors as unseen text has
    them. Where candidate lists come from link counts (the realistic protocol), a candidate that only this document
    supported disappears.
    """

    alias_total: Callable[[str], float]
    drop_unsupported: bool
    # `ModelConfig.gold_free_prior_rate`: this share of documents (a pure function of the seed and the document)
    # has every gold link taken out, read by `gold_counts` (alias → entity → AIDA train links)
    gold_counts: Callable[[str], Mapping[str, float]] | None = None
    gold_free_rate: float = 0.0
    seed: int = 1

    @classmethod
    def under(cls, kb: KB, protocol: CandidateProtocol, config: ModelConfig | None = None) -> HeldOut:
        """Leave-one-out priors from `kb`'s alias totals for the candidates of `protocol` (and gold-free ones for
        `config.gold_free_prior_rate` of the documents)."""
        rate, seed = (config.gold_free_prior_rate, config.seed) if config is not None else (0.0, 1)
        return cls(kb.alias_total, protocol.lists_from_link_counts, kb.alias_gold_counts, rate, seed)

    def links_out(self, document_number: int, own: Mapping[str, Counter[str]]) -> Callable[[str], Mapping[str, float]]:
        """Alias key → the links to take out of its prior in this document: its own, or all of AIDA's."""
        gold_free = random.Random(f"{self.seed}/gold-free/{document_number}").random() < self.gold_free_rate
        if gold_free and self.gold_counts is not None:
            return self.gold_counts
        return lambda key: own.get(key, Counter())

    def remove(self, candidates: Sequence[Candidate], surface: str, own: Mapping[str, float]) -> list[Candidate]:
        if not own:
            return list(candidates)
        total = self.alias_total(surface)
        rest = total - sum(own.values())
        kept = []
        for candidate in candidates:
            score = candidate.prior * total - own.get(candidate.entity, 0.0)
            prior = score / rest if rest > 1e-9 and score > 1e-9 else 0.0
            if prior > 0 or not self.drop_unsupported:
                kept.append(replace(candidate, prior=prior))
        return sorted(kept, key=lambda candidate: (-candidate.prior, -candidate.popularity))


@dataclass(frozen=True)
class NameOnly:
    """Training mentions as the linker meets the entities of all of Wikipedia, most of which the KB knows by name
    alone (`KB.name_only`: no AIDA link counts, in-links, Wikipedia links or Freebase score).

    Every gold entity of AIDA train is one the KB knows well, so a linker trained on them learns that a name-only
    candidate is never right, and answers NIL for "SpaceX" or "Nvidia" (5 of the 91 links of the Wikipedia
    regression set). So `rate` of the gold candidates are shown as a name-only one is (the popularity most of them
    have, no Wikipedia links); and a NIL mention with a name-only candidate of exactly its name (`nil` "exact") or
    with any name-only candidate ("any") takes no linking loss: AIDA said NIL against the Wikipedia of 2010, and
    an article of that name may have come since.
    Which mentions: a pure function of the seed, the document and the mention's place in it.
    """

    rate: float
    nil: str  # ModelConfig.name_only_nil: keep | exact | any
    popularity: float
    of: Callable[[Iterable[str]], set[str]]  # the name-only ones among titles
    seed: int

    @classmethod
    def under(cls, kb: KB, config: ModelConfig) -> NameOnly | None:
        if config.name_only_rate == 0.0 and config.name_only_nil == "keep":
            return None
        return cls(config.name_only_rate, config.name_only_nil, kb.name_only_popularity(), kb.name_only, config.seed)

    def shown(
        self,
        document_number: int,
        surfaces: Sequence[str],
        golds: Sequence[str | None],
        contexts: Sequence[MentionContext],
        annotated: Sequence[bool],
    ) -> tuple[list[MentionContext], list[bool]]:
        """The mentions' (candidates, contexts) with some gold entities shown as name-only, and which mentions
        still take a linking loss."""
        name_only = self.of({candidate.entity for candidates, _ in contexts for candidate in candidates})
        shown, kept = list(contexts), list(annotated)
        for index, (surface, gold, (candidates, context)) in enumerate(zip(surfaces, golds, contexts, strict=True)):
            if gold is None and self._uncertain_nil(surface, candidates, name_only):
                kept[index] = False
            elif gold is not None and gold not in name_only and self._draw(document_number, index) < self.rate:
                shown[index] = self._as_name_only(gold, candidates, context)
        return shown, kept

    def _uncertain_nil(self, surface: str, candidates: Sequence[Candidate], name_only: set[str]) -> bool:
        unknown = [candidate.entity for candidate in candidates if candidate.entity in name_only]
        if self.nil == "exact":
            return any(is_named(title, surface) for title in unknown)
        return self.nil == "any" and bool(unknown)

    def _draw(self, document_number: int, index: int) -> float:
        return random.Random(f"{self.seed}/{document_number}/{index}").random()

    def _as_name_only(self, gold: str, candidates: list[Candidate], context: np.ndarray) -> MentionContext:
        """The gold candidate with the popularity of most name-only entities and no Wikipedia links."""
        candidates, context = list(candidates), context.copy()
        for i, candidate in enumerate(candidates):
            if candidate.entity == gold:
                candidates[i] = replace(candidate, popularity=self.popularity)
                context[i, LINK_COLUMNS] = (0.0, 0.0, 1.0)  # no link prior, no link share, isolated
        return candidates, context


def is_named(title: str, surface: str) -> bool:
    """The title is the surface itself, no qualifier: "Nvidia" for "NVIDIA", not "Paris_(band)" for "Paris"."""
    return normalize(title.replace("_", " ")) == normalize(surface)
