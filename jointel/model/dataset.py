"""Corpus documents → vocabularies and network inputs, with each gold mention's candidates from the KB."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from jointel.data.documents import Document
from jointel.kb.lookup import KB, Candidate
from jointel.kb.normalize import normalize
from jointel.kb.stats import PROTOCOLS
from jointel.model.config import ModelConfig
from jointel.model.features import (
    CandidateSet,
    Gazetteer,
    LinksAmong,
    SentenceFeatures,
    TokenIds,
    candidate_set,
    document_casing,
    document_context,
    document_words,
    sentence_features,
)
from jointel.model.vocab import Vocab

DocumentLookup = Callable[[int, str], list[Candidate]]  # (AIDA document number, surface) → candidates
# (AIDA document number, held out?) → the links among titles that the document's candidates may use
DocumentLinks = Callable[[int, bool], LinksAmong]
ContextualLookup = Callable[[Sequence[Sequence[str]]], list[np.ndarray]]  # a document's sentences → token vectors


@dataclass(frozen=True)
class KBAccess:
    """What the model reads from the KB: candidates of a (document, surface), the alias gazetteer, and the
    Wikipedia links among entities (for `link_coherence`); `match_key` is the mention as the candidates' string-match
    features see it (see `ModelConfig.normalized_match`)."""

    candidates: DocumentLookup
    gazetteer: Gazetteer | None = None
    links: DocumentLinks | None = None
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
    ) -> KBAccess:
        """Candidates and links under a protocol: the KB alias table and the links of train documents' lists
        (realistic), or the document's own PPRforNED list and its links (ppr)."""
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown candidate protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
        gazetteer = Gazetteer(kb.alias_table()) if with_gazetteer else None
        links = None
        if with_links:
            links = _ppr_links(kb) if protocol == "ppr" else _realistic_links(kb)
        match_key = normalize if normalized_match else str
        return cls(lambda number, surface: kb.lookup(protocol, number, surface, k), gazetteer, links, match_key)

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
        )


def _realistic_links(kb: KB) -> DocumentLinks:
    """Links of train documents' lists; a held-out (training) document does without those only its list has."""
    return lambda number, held_out: functools.partial(kb.links_among, leave_out=number if held_out else None)


def _ppr_links(kb: KB) -> DocumentLinks:
    """The links of the document's own PPRforNED list, the protocol's data (training documents read theirs too)."""
    return lambda number, held_out: functools.partial(kb.ppr_links_among, number)


def build_vocabs(
    train: Sequence[Document], pretrained_words: Sequence[str], lookup: DocumentLookup | None
) -> dict[str, Vocab]:
    """Words (training words, then pre-trained ones), characters, and entities seen in training (gold or candidate).

    The pre-trained words come first so that their rows line up with the pre-trained matrix.
    """
    words = Vocab.build(pretrained_words)
    chars = Vocab()
    entities = Vocab()
    for document in train:
        for sentence in document.sentences:
            for token in sentence.tokens:
                words.add(token.lower())
                for char in token:
                    chars.add(char)
            for span in sentence.spans:
                if span.entity is not None:
                    entities.add(span.entity)
                if lookup is not None:
                    for candidate in lookup(document.number, " ".join(sentence.tokens[span.start : span.end])):
                        entities.add(candidate.entity)
    return {"words": words, "chars": chars, "entities": entities}


def singleton_words(train: Sequence[Document]) -> set[str]:
    """Lower-cased words seen once in training: the ones word dropout replaces by UNK (Lample et al. §4.3)."""
    counts = Counter(
        token.lower() for document in train for sentence in document.sentences for token in sentence.tokens
    )
    return {word for word, count in counts.items() if count == 1}


def document_features(
    documents: Sequence[Document],
    vocabs: dict[str, Vocab],
    access: KBAccess | None,
    held_out: HeldOut | None = None,
    with_candidates: bool = True,
    contextual: ContextualLookup | None = None,
) -> list[SentenceFeatures]:
    """Network inputs of every sentence: gold actions, gazetteer codes and each gold mention's candidate set.

    With `held_out` (for training documents), each document's own gold links are taken out of its mentions' priors
    and of the gazetteer, so that training sees the KB as unseen text will. `contextual` adds each token's frozen
    contextual vector (models with `contextual_dim`).
    """
    features = []
    lookup = access.candidates if access is not None and with_candidates else None
    gazetteer = access.gazetteer if access is not None else None
    token_ids = TokenIds(vocabs["words"], vocabs["chars"])
    for document in documents:
        own = own_links(document) if held_out is not None else {}
        links = access.links(document.number, held_out is not None) if access is not None and access.links else None
        own_totals = {key: float(sum(counts.values())) for key, counts in own.items()}
        tokens = [sentence.tokens for sentence in document.sentences]
        topic = document_words(tokens, token_ids)
        sets = iter(
            gold_candidate_sets(document, lookup, held_out, own, topic, links, access.match_key)
            if access is not None and lookup is not None
            else []
        )
        casing = document_casing(tokens)
        vectors = contextual(tokens) if contextual is not None else [None] * len(tokens)
        for sentence, sentence_casing, sentence_vectors in zip(document.sentences, casing, vectors, strict=True):
            sentence_sets = [next(sets) for _ in sentence.spans] if lookup is not None else []
            codes = gazetteer.codes(sentence.tokens, own_totals) if gazetteer is not None else None
            features.append(
                sentence_features(sentence, token_ids, sentence_sets, codes, sentence_casing, sentence_vectors)
            )
    return features


def gold_candidate_sets(
    document: Document,
    lookup: DocumentLookup,
    held_out: HeldOut | None,
    own: dict[str, Counter[str]],
    topic: tuple[int, ...] = (),
    links_among: LinksAmong | None = None,
    match_key: Callable[[str], str] = normalize,
) -> list[CandidateSet]:
    """Candidate sets of the document's gold spans, sentence by sentence and span by span (sorted by start).

    `own` is `own_links(document)` when `held_out` is given (computed once by the caller), else empty; `topic` is
    the document's `document_words`; `match_key` is `KBAccess.match_key`.
    """
    spans = [
        (sentence, span)
        for sentence in document.sentences
        for span in sorted(sentence.spans, key=lambda span: span.start)
    ]
    mentions = []
    for sentence, span in spans:
        surface = " ".join(sentence.tokens[span.start : span.end])
        candidates = lookup(document.number, surface)
        if held_out is not None:
            candidates = held_out.remove(candidates, surface, own.get(normalize(surface), Counter()))
        mentions.append((surface, candidates))
    return [
        candidate_set(match_key(surface), candidates, span.entity, span.is_annotated, context, topic)
        for (surface, _), (candidates, context), (_, span) in zip(
            mentions, document_context(mentions, links_among=links_among), spans, strict=True
        )
    ]


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
    them. Under the realistic protocol a candidate that only this document supported disappears.
    """

    alias_total: Callable[[str], float]
    drop_unsupported: bool

    def remove(self, candidates: Sequence[Candidate], surface: str, own: Counter[str]) -> list[Candidate]:
        if not own:
            return list(candidates)
        total = self.alias_total(surface)
        rest = total - sum(own.values())
        kept = []
        for candidate in candidates:
            score = candidate.prior * total - own[candidate.entity]
            prior = score / rest if rest > 1e-9 and score > 1e-9 else 0.0
            if prior > 0 or not self.drop_unsupported:
                kept.append(replace(candidate, prior=prior))
        return sorted(kept, key=lambda candidate: (-candidate.prior, -candidate.popularity))
