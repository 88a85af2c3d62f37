"""Whole documents in, predicted documents out: batching sentences by length around `JointModel.predict`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from jointel.data.documents import Document, Sentence
from jointel.kb.lookup import Candidate
from jointel.model.dataset import DocumentLookup, document_features
from jointel.model.features import sentence_features
from jointel.model.joint import JointModel, Prediction


def length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length, so that padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def predict_sentences(
    model: JointModel, sentences: Sequence[tuple[int, Sentence]], lookup: DocumentLookup, batch_size: int = 256
) -> list[list[Prediction]]:
    """Predictions for `(document number, sentence)` pairs, in input order."""
    model.eval()
    words, chars = model.vocabs["words"], model.vocabs["chars"]
    results: list[list[Prediction]] = [[] for _ in sentences]
    for indices in length_batches([len(sentence.tokens) for _, sentence in sentences], batch_size):
        chosen = [sentences[i] for i in indices]
        features = [sentence_features(Sentence(sentence.tokens), words, chars) for _, sentence in chosen]
        surfaces = [sentence.tokens for _, sentence in chosen]
        numbers = [number for number, _ in chosen]
        predictions = model.predict(features, surfaces, _in_documents(lookup, numbers))
        for i, prediction in zip(indices, predictions, strict=True):
            results[i] = prediction
    return results


def _in_documents(lookup: DocumentLookup, numbers: Sequence[int]) -> Callable[[int, str], list[Candidate]]:
    """Turn a (document number, surface) lookup into a (sentence position in the batch, surface) lookup."""
    return lambda k, surface: lookup(numbers[k], surface)


def predict_documents(
    model: JointModel, documents: Sequence[Document], lookup: DocumentLookup, batch_size: int = 256
) -> list[Document]:
    """Copies of `documents` whose spans are the model's predictions (entity None = NIL)."""
    pairs = [(document.number, sentence) for document in documents for sentence in document.sentences]
    predictions = iter(predict_sentences(model, pairs, lookup, batch_size))
    predicted = []
    for document in documents:
        sentences = [
            Sentence(sentence.tokens, tuple(p.span for p in next(predictions))) for sentence in document.sentences
        ]
        predicted.append(replace(document, sentences=tuple(sentences)))
    return predicted


def link_documents(
    model: JointModel, documents: Sequence[Document], lookup: DocumentLookup, batch_size: int = 256
) -> list[Document]:
    """Copies of `documents` with each gold span linked by the model (disambiguation with gold mentions)."""
    features = document_features(documents, model.vocabs, lookup)
    linked: list[list[Prediction]] = [[] for _ in features]
    for indices in length_batches([len(f.words) for f in features], batch_size):
        for i, prediction in zip(indices, model.link_gold([features[i] for i in indices]), strict=True):
            linked[i] = prediction
    rows = iter(linked)
    result = []
    for document in documents:
        sentences = [Sentence(sentence.tokens, tuple(p.span for p in next(rows))) for sentence in document.sentences]
        result.append(replace(document, sentences=tuple(sentences)))
    return result
