"""Whole documents in, predicted documents out, in two passes.

1. NER: greedy decoding of every sentence, in batches of similar length (`JointModel.decode`).
2. EL: each document's predicted mentions get their candidates and the document context
   (`inputs.predicted_candidate_sets`: the other mentions of the story), then all mentions are linked in batches
   (`JointModel.link`).
`link_documents` does pass 2 alone on gold spans: disambiguation with given mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from jointel.data.documents import LABELS, Document, Sentence, Span
from jointel.model.batch import length_batches
from jointel.model.contextual_source import contextual_vectors
from jointel.model.inputs import KBAccess, decoding_features, gold_features, predicted_candidate_sets
from jointel.model.joint import JointModel, Prediction
from jointel.model.tokens import TokenIds

LINK_BATCH = 2048
ENCODE_BATCH = 64  # sentences the encoder reads at once: its activations are the peak of a call's memory


@dataclass
class _Mention:
    """A mention waiting to be linked: where it is, and what the parser knew when it was reduced."""

    sentence: int
    span: Span
    ner_score: float
    state: Tensor
    item: Tensor


def predict_documents(
    model: JointModel, documents: Sequence[Document], access: KBAccess, batch_size: int = ENCODE_BATCH
) -> list[Document]:
    """Copies of `documents` whose spans are the model's predictions (entity None = NIL)."""
    predictions = predict(model, [(document.number, document.sentences) for document in documents], access, batch_size)
    return [with_predictions(document, rows) for document, rows in zip(documents, predictions, strict=True)]


def predict(
    model: JointModel,
    documents: Sequence[tuple[int, Sequence[Sentence]]],
    access: KBAccess,
    batch_size: int = ENCODE_BATCH,
) -> list[list[list[Prediction]]]:
    """Predictions per document, per sentence, for `(document number, sentences)` pairs (tokens only are read)."""
    model.eval()
    sentences = [sentence for _, document in documents for sentence in document]
    token_ids = TokenIds(model.vocabs["words"], model.vocabs["chars"])  # one memo for both passes
    mentions = iter(_decode(model, [document for _, document in documents], access, token_ids, batch_size))
    per_document, end = [], 0
    pending = next(mentions, None)
    for number, document in documents:
        end += len(document)
        inside = []
        while pending is not None and pending.sentence < end:
            inside.append(pending)
            pending = next(mentions, None)
        per_document.append((number, inside, end - len(document), end))
    linked = _link_documents(model, per_document, sentences, access, token_ids)
    results: list[list[list[Prediction]]] = []
    first = 0
    for (_, document), predictions in zip(documents, linked, strict=True):
        rows: list[list[Prediction]] = [[] for _ in document]
        for prediction, mention in predictions:
            rows[mention.sentence - first].append(prediction)
        results.append(rows)
        first += len(document)
    return results


def _decode(
    model: JointModel, documents: Sequence[Sequence[Sentence]], access: KBAccess, token_ids: TokenIds, batch_size: int
) -> list[_Mention]:
    """The mentions the parser finds in the sentences of `documents`, numbered by sentence over all documents."""
    vectors = contextual_vectors(
        model.contextual, [[sentence.tokens for sentence in document] for document in documents]
    )
    decoded = model.decode(decoding_features(documents, token_ids, access, vectors), batch_size)
    mentions: list[_Mention] = []
    n = 0
    for i, (spans, scores) in enumerate(zip(decoded.spans, decoded.action_scores, strict=True)):
        for span, score in zip(spans, scores, strict=True):
            mentions.append(_Mention(i, span, score, decoded.states[n], decoded.items[n]))
            n += 1
    mentions.sort(key=lambda mention: (mention.sentence, mention.span.start))
    return mentions


def _link_documents(
    model: JointModel,
    documents: Sequence[tuple[int, list[_Mention], int, int]],
    sentences: Sequence[Sentence],
    access: KBAccess,
    token_ids: TokenIds,
) -> list[list[tuple[Prediction, _Mention]]]:
    """Candidates with document context for every mention, then linking in large batches.

    `documents` holds (document number, its mentions, its first sentence, one past its last) over `sentences`."""
    queue = []
    for index, (number, mentions, first, last) in enumerate(documents):
        tokens = [sentence.tokens for sentence in sentences[first:last]]
        found = [(sentences[mention.sentence].tokens, mention.span) for mention in mentions]
        sets = predicted_candidate_sets(number, tokens, found, token_ids, access)
        queue += [(index, mention, options) for mention, options in zip(mentions, sets, strict=True)]
    results: list[list[tuple[Prediction, _Mention]]] = [[] for _ in documents]
    for start in range(0, len(queue), LINK_BATCH):
        chunk = queue[start : start + LINK_BATCH]
        mentions = [mention for _, mention, _ in chunk]
        predictions = model.link(
            torch.stack([m.state for m in mentions]),
            torch.stack([m.item for m in mentions]),
            torch.tensor([LABELS.index(m.span.label) for m in mentions], dtype=torch.long),
            [m.span for m in mentions],
            [candidates for _, _, candidates in chunk],
            [m.ner_score for m in mentions],
        )
        for (index, mention, _), prediction in zip(chunk, predictions, strict=True):
            results[index].append((prediction, mention))
    return results


def link_documents(
    model: JointModel, documents: Sequence[Document], access: KBAccess, batch_size: int = 256, allow_nil: bool = True
) -> list[Document]:
    """Copies of `documents` with each gold span linked by the model (disambiguation with gold mentions).

    `allow_nil=False` is the ED protocol of the literature: each mention gets its best candidate.
    """
    linked = link_given_spans(model, documents, access, batch_size, allow_nil)
    return [with_predictions(document, rows) for document, rows in zip(documents, linked, strict=True)]


def with_predictions(
    document: Document, rows: Sequence[Sequence[Prediction]], nil_threshold: float | None = None
) -> Document:
    """A copy of `document` whose spans are the predicted ones, links below `nil_threshold` made NIL."""
    sentences = tuple(
        Sentence(sentence.tokens, tuple(replace(p.span, entity=p.entity_at(nil_threshold)) for p in predictions))
        for sentence, predictions in zip(document.sentences, rows, strict=True)
    )
    return replace(document, sentences=sentences)


def link_given_spans(
    model: JointModel, documents: Sequence[Document], access: KBAccess, batch_size: int = 256, allow_nil: bool = True
) -> list[list[list[Prediction]]]:
    """Links of the spans each sentence carries (sorted by start), per document and sentence, with scores and
    candidates; `link_documents` keeps only the linked spans."""
    model.eval()
    token_ids = TokenIds(model.vocabs["words"], model.vocabs["chars"])
    # one document per MiniLM call, as this pass has always read them: batches of several documents can round apart
    vectors = [
        contextual_vectors(model.contextual, [[s.tokens for s in document.sentences]])[0] for document in documents
    ]
    features = gold_features(documents, token_ids, access, vectors)
    linked: list[list[Prediction]] = [[] for _ in features]
    for indices in length_batches([len(f.words) for f in features], batch_size):
        chosen = [features[i] for i in indices]
        states, items, labels = model.gold_mentions(chosen)
        spans = [span for sentence in chosen for span in sentence.spans]
        sets = [candidates for sentence in chosen for candidates in sentence.candidates]
        predictions = iter(model.link(states, items, labels, spans, sets, [1.0] * len(spans), allow_nil))
        for i, sentence in zip(indices, chosen, strict=True):
            linked[i] = [next(predictions) for _ in sentence.spans]
    rows = iter(linked)
    return [[next(rows) for _ in document.sentences] for document in documents]
