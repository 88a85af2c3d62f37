"""Whole documents in, predicted documents out, in two passes over one encoding (`encode`).

1. NER: greedy decoding of every sentence (`JointModel.decode`) from the token vectors, which the encoder computes
   in batches of similar length (`JointModel.encode`).
2. EL: each document's predicted mentions get their candidates and the document context
   (`inputs.predicted_candidate_sets`: the other mentions of the story), then all mentions are linked in batches
   (`JointModel.link`); a person named in part then takes the link of the full name in the same document
   (`coreference.share_person_links`), in every pass that links, and, in this one, the full name's label too
   (`coreference.name_people_in_part`).
`link_documents` does pass 2 alone on gold spans: disambiguation with given mentions. `link_encoded` links given
spans from the encoding that pass 1 read, so that a caller who wants both (`Annotator.link`) encodes once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from jointel.data.documents import LABELS, Document, Sentence, Span
from jointel.model.batch import length_batches
from jointel.model.contextual_source import contextual_vectors
from jointel.model.coreference import PERSON, name_people_in_part, share_person_links
from jointel.model.features import SentenceFeatures
from jointel.model.inputs import KBAccess, decoding_features, gold_features, predicted_candidate_sets
from jointel.model.joint import JointModel, Prediction, TokenVectors
from jointel.model.tokens import TokenIds

# Mentions linked at once: the title words of their candidates are gathered as (titles, words, dim) arrays; 2,048
# raised testb's peak RSS by 50 MB for the same linking time.
LINK_BATCH = 512
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
    model: JointModel,
    documents: Sequence[Document],
    access: KBAccess,
    batch_size: int = ENCODE_BATCH,
    surnames: str | None = PERSON,
) -> list[Document]:
    """Copies of `documents` whose spans are the model's predictions (entity None = NIL); `surnames` as `predict`."""
    pairs = [(document.number, document.sentences) for document in documents]
    predictions = predict(model, pairs, access, batch_size, surnames)
    return [with_predictions(document, rows) for document, rows in zip(documents, predictions, strict=True)]


@dataclass
class Encoded:
    """Documents as the network read them: the token encoder's vectors of every sentence (`TokenVectors`, one per
    member for an ensemble), which the greedy decoder (`predict_encoded`) and the teacher-forced linking of given
    spans (`link_encoded`) both read."""

    documents: list[tuple[int, Sequence[Sentence]]]  # (document number, its sentences)
    vectors: TokenVectors | list[TokenVectors]  # of the sentences of `documents`, one document after the other
    token_ids: TokenIds  # one memo for every pass over these documents


def encode(
    model: JointModel,
    documents: Sequence[tuple[int, Sequence[Sentence]]],
    access: KBAccess,
    batch_size: int = ENCODE_BATCH,
) -> Encoded:
    """The token vectors of `(document number, sentences)` pairs (tokens only are read)."""
    model.eval()
    token_ids = model.token_ids()
    sentences = [document for _, document in documents]
    vectors = contextual_vectors(
        model.contextual, [[sentence.tokens for sentence in document] for document in sentences]
    )
    features = decoding_features(sentences, token_ids, access, vectors)
    return Encoded(list(documents), model.encode(features, batch_size), token_ids)


def predict(
    model: JointModel,
    documents: Sequence[tuple[int, Sequence[Sentence]]],
    access: KBAccess,
    batch_size: int = ENCODE_BATCH,
    surnames: str | None = PERSON,
) -> list[list[list[Prediction]]]:
    """Predictions per document, per sentence, for `(document number, sentences)` pairs (tokens only are read).

    The token vectors are let go once decoded, before linking: they are the largest arrays of a call (testb:
    55 MB), and linking reads only the parser states at the mentions. `surnames` is the label whose partial names
    `name_people_in_part` reads as the full name: PER, as annotation does; None leaves the rule out, and another
    label measures it on that type (`scripts/surname_rule.py`)."""
    encoded = encode(model, documents, access, batch_size)
    decoded, token_ids = _decode(model, encoded), encoded.token_ids
    del encoded
    return _link_decoded(model, list(documents), decoded, access, token_ids, surnames)


def predict_encoded(model: JointModel, encoded: Encoded, access: KBAccess) -> list[list[list[Prediction]]]:
    """`predict` of the documents `encoded` holds, from their token vectors."""
    return _link_decoded(model, encoded.documents, _decode(model, encoded), access, encoded.token_ids)


def _link_decoded(
    model: JointModel,
    documents: Sequence[tuple[int, Sequence[Sentence]]],
    decoded: list[_Mention],
    access: KBAccess,
    token_ids: TokenIds,
    surnames: str | None = PERSON,
) -> list[list[list[Prediction]]]:
    """Candidates and links of the mentions `_decode` found in `documents`, per document, per sentence."""
    sentences = [sentence for _, document in documents for sentence in document]
    mentions = iter(decoded)
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
        tokens = [sentence.tokens for sentence in document]
        named = name_people_in_part(rows, tokens, surnames) if surnames is not None else rows
        results.append(share_person_links(named, tokens))
        first += len(document)
    return results


def _decode(model: JointModel, encoded: Encoded) -> list[_Mention]:
    """The mentions the parser finds in the sentences of `encoded`, numbered by sentence over all documents."""
    decoded = model.decode(encoded.vectors)
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
    model: JointModel,
    documents: Sequence[Document],
    access: KBAccess,
    batch_size: int = 256,
    allow_nil: bool = True,
    coreference: bool = True,
) -> list[list[list[Prediction]]]:
    """Links of the spans each sentence carries (sorted by start), per document and sentence, with scores and
    candidates; `link_documents` keeps only the linked spans. `coreference=False` leaves out
    `share_person_links` (to measure it)."""
    model.eval()
    token_ids = model.token_ids()
    # one document per MiniLM call, as this pass has always read them: batches of several documents can round apart
    vectors = [
        contextual_vectors(model.contextual, [[s.tokens for s in document.sentences]])[0] for document in documents
    ]
    linked = iter(_link_gold(model, gold_features(documents, token_ids, access, vectors), batch_size, allow_nil))
    rows = [[next(linked) for _ in document.sentences] for document in documents]
    if not coreference:
        return rows
    return [
        share_person_links(row, [s.tokens for s in document.sentences])
        for row, document in zip(rows, documents, strict=True)
    ]


def link_encoded(
    model: JointModel, encoded: Encoded, spans: Sequence[Sequence[Span]], access: KBAccess, batch_size: int = 256
) -> list[list[Prediction]]:
    """The link of each of `spans`, given per sentence of `encoded` (in any order, and the predictions come back in
    that order), read from the token vectors the decoder read: the encoder does not run again.

    Spans may overlap. The transition system reduces chunks that do not, so each sentence's spans go to layers of
    non-overlapping ones (`_layers`), and each layer is teacher-forced over copies of the documents holding its
    spans, all of them reading the same token vectors.

    The vectors come from the decoder's batches, not from batches of the copies (as `link_given_spans` reads
    them), and CPU kernels round by batch makeup (a matrix product of one row takes another path than one of
    many rows). So where the two differ (over `ENCODE_BATCH` sentences, documents without spans, overlapping
    spans, MiniLM read once for all documents) probabilities move by about 1e-7; where they agree, as for one
    document of AIDA testb, the results are bit for bit those of linking the copies.
    """
    documents, sources, slots = _layer_documents(encoded.documents, spans)
    features = gold_features(documents, encoded.token_ids, access)
    linked = _link_gold(model, features, batch_size, True, encoded.vectors, sources)
    predictions: dict[tuple[int, int], Prediction] = {}
    for (i, row), links in zip(slots, linked, strict=True):
        predictions.update(((i, j), prediction) for j, prediction in zip(row, links, strict=True))
    rows = [[predictions[i, j] for j in range(len(row))] for i, row in enumerate(spans)]
    shared, first = [], 0
    for _, sentences in encoded.documents:
        last = first + len(sentences)
        shared += share_person_links(rows[first:last], [sentence.tokens for sentence in sentences])
        first = last
    return shared


def _layer_documents(
    documents: Sequence[tuple[int, Sequence[Sentence]]], spans: Sequence[Sequence[Span]]
) -> tuple[list[Document], list[int], list[tuple[int, list[int]]]]:
    """Layer after layer, a copy of each document that holds spans of the layer, with those spans; and for each
    sentence of the copies, the sentence of `documents` it copies and the indices of its spans in `spans`."""
    layer_of = [_layers(row) for row in spans]
    copies, sources, slots = [], [], []
    for layer in range(max((max(row) + 1 for row in layer_of if row), default=0)):
        first = 0
        for number, sentences in documents:
            inside = range(first, first + len(sentences))
            first += len(sentences)
            rows = [_in_layer(spans[i], layer_of[i], layer) for i in inside]
            if not any(rows):
                continue
            copied = tuple(
                Sentence(sentence.tokens, tuple(spans[i][j] for j in row))
                for i, sentence, row in zip(inside, sentences, rows, strict=True)
            )
            copies.append(Document(str(number), "", copied))  # the id gives back the number (`Document.number`)
            sources += inside
            slots += zip(inside, rows, strict=True)
    return copies, sources, slots


def _layers(spans: Sequence[Span]) -> list[int]:
    """Each span's layer: taken by (start, end), a span goes to the first layer whose last span ends before it
    starts (greedy interval partitioning), so that no layer holds overlapping spans."""
    layers = [0] * len(spans)
    ends: list[int] = []  # per layer: the end of its last span
    for i in sorted(range(len(spans)), key=lambda i: (spans[i].start, spans[i].end)):
        layer = next((k for k, end in enumerate(ends) if end <= spans[i].start), len(ends))
        if layer == len(ends):
            ends.append(0)
        ends[layer] = spans[i].end
        layers[i] = layer
    return layers


def _in_layer(spans: Sequence[Span], layer_of: Sequence[int], layer: int) -> list[int]:
    """Indices of the spans of `layer`, by (start, end): the order in which teacher forcing links them."""
    inside = [j for j in range(len(spans)) if layer_of[j] == layer]
    return sorted(inside, key=lambda j: (spans[j].start, spans[j].end))


def _link_gold(
    model: JointModel,
    features: Sequence[SentenceFeatures],
    batch_size: int,
    allow_nil: bool,
    vectors: TokenVectors | list[TokenVectors] | None = None,
    sources: Sequence[int] = (),
) -> list[list[Prediction]]:
    """Per sentence of `features`, the links of its gold spans, teacher-forced in batches of similar length; with
    `vectors` (of `Encoded`) the sentences are its sentences `sources`, whose token vectors are read, else the
    encoder runs."""
    linked: list[list[Prediction]] = [[] for _ in features]
    for indices in length_batches([len(f.words) for f in features], batch_size):
        chosen = [features[i] for i in indices]
        rows = [sources[i] for i in indices] if vectors is not None else []
        states, items, labels = model.gold_mentions(chosen, vectors, rows)
        spans = [span for sentence in chosen for span in sentence.spans]
        sets = [candidates for sentence in chosen for candidates in sentence.candidates]
        predictions = iter(model.link(states, items, labels, spans, sets, [1.0] * len(spans), allow_nil))
        for i, sentence in zip(indices, chosen, strict=True):
            linked[i] = [next(predictions) for _ in sentence.spans]
    return linked
