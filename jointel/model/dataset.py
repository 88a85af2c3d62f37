"""Corpus documents → vocabularies and network inputs, with each gold mention's candidates from the KB."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from jointel.data.documents import Document
from jointel.kb.lookup import KB, Candidate
from jointel.kb.stats import PROTOCOLS
from jointel.model.features import SentenceFeatures, candidate_set, sentence_features
from jointel.model.vocab import Vocab

DocumentLookup = Callable[[int, str], list[Candidate]]  # (AIDA document number, surface) → candidates


def candidate_lookup(kb: KB, protocol: str, k: int) -> DocumentLookup:
    """Candidates of a surface under a protocol: the KB alias table, or the document's PPRforNED list."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown candidate protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    return lambda document_number, surface: kb.lookup(protocol, document_number, surface, k)


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
    documents: Sequence[Document], vocabs: dict[str, Vocab], lookup: DocumentLookup | None
) -> list[SentenceFeatures]:
    """Network inputs of every sentence, gold actions and (if `lookup`) each gold mention's candidate set."""
    features = []
    for document in documents:
        for sentence in document.sentences:
            sets = []
            if lookup is not None:
                for span in sorted(sentence.spans, key=lambda span: span.start):
                    surface = " ".join(sentence.tokens[span.start : span.end])
                    sets.append(
                        candidate_set(surface, lookup(document.number, surface), span.entity, span.is_annotated)
                    )
            features.append(sentence_features(sentence, vocabs["words"], vocabs["chars"], sets))
    return features
