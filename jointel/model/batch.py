"""Padding sentences into tensors, with the indices that let teacher forcing run without a per-action loop.

Under the static oracle the whole action sequence is known, so for every step t we know where the buffer starts,
how many words the stack holds (and which gold chunk they belong to), and how many items the output holds. The
network then computes each LSTM over whole sequences once and gathers its state at every step (`stack_lstm.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from jointel.model.actions import OUT_ID, REDUCE_ID, SHIFT_ID
from jointel.model.candidate_features import N_CANDIDATE_FEATURES, CandidateSet, title_words, topic_words
from jointel.model.features import SentenceFeatures
from jointel.model.tokens import word_index
from jointel.model.vocab import Vocab

IGNORE = -100
MAX_TITLE_WORDS = 6
MAX_TOPIC_WORDS = 8


@dataclass
class Candidates:
    """Candidates of N mentions padded to C; slot C (one past the last) is NIL in the scores."""

    entity: Tensor  # (N, C) entity ids, 0 = padding
    title: Tensor  # (U, W) word ids of the title of each distinct entity of the batch (row 0: padding)
    slot: Tensor  # (N, C) row of `title` of each candidate
    features: Tensor  # (N, C, F)
    type: Tensor  # (N, C)
    mask: Tensor  # (N, C) bool, True for real candidates
    gold: Tensor  # (N,) index in [0, C], C = NIL, IGNORE = no linking loss
    topic_title: Tensor  # (U, W) word ids of every word of each distinct entity's title (`topic_words`)
    documents: Tensor  # (D, V) `document_words` of each distinct document of the batch
    document_of: Tensor  # (N,) row of `documents` of each mention


@dataclass
class Batch:
    words: Tensor  # (B, T)
    spellings: Tensor  # (U, L) character ids of each distinct spelling of the batch; row 0 is no token
    spelling_of: Tensor  # (B, T) row of `spellings` of each token
    casing: Tensor  # (B, T)
    gazetteer: Tensor  # (B, T) gazetteer codes
    document_casing: Tensor  # (B, T) `features.document_casing` codes
    lengths: Tensor  # (B,)
    actions: Tensor  # (B, A) gold action ids, IGNORE after the end
    buffer_index: Tensor  # (B, A) first buffer word at step t (= length when empty)
    stack_size: Tensor  # (B, A)
    stack_index: Tensor  # (B, A) row of the flattened chunk-prefix states (N·Lc = empty stack)
    output_count: Tensor  # (B, A) output items before step t
    chunk_tokens: Tensor  # (N, Lc) flat token index b·T + position, 0-padded
    chunk_lengths: Tensor  # (N,)
    chunk_labels: Tensor  # (N,)
    chunk_steps: Tensor  # (N,) flat index b·A + t of the REDUCE that built chunk n
    items: Tensor  # (B, K) rows of [word items (B·T); chunk items (N)]
    item_counts: Tensor  # (B,)
    candidates: Candidates | None
    contextual: Tensor | None = None  # (B, T, D) frozen contextual token vectors, when the sentences carry them
    clusters: Tensor | None = None  # (B, T) word class ids, when the sentences carry them
    ontonotes: Tensor | None = None  # (B, T) spaCy's NER tag codes, when the sentences carry them


def length_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length, so that padding stays small."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def pad(rows: Sequence[Sequence[int]], value: int = 0, width: int | None = None) -> Tensor:
    """(len(rows), width) long tensor, rows cut or padded with `value`; built through one numpy array (it is hot:
    numpy converts nested lists 2-4× faster than `torch.tensor`)."""
    width = max(1, max((len(row) for row in rows), default=0) if width is None else width)
    return as_tensor([list(row[:width]) + [value] * (width - len(row)) for row in rows], np.int64).view(-1, width)


def as_tensor(rows: list, dtype: type[np.generic]) -> Tensor:
    return torch.from_numpy(np.array(rows, dtype=dtype))


def collate(sentences: Sequence[SentenceFeatures], words: Vocab, entities: Vocab | None, topic: bool = False) -> Batch:
    """Stack sentences into a Batch; `entities` None skips the linking inputs (NER only, or prediction), and
    `topic` adds those of the document-topic score (see `collate_candidates`)."""
    n_tokens = max(1, max(len(sentence.words) for sentence in sentences))
    n_actions = max(1, max(len(sentence.actions) for sentence in sentences))
    spellings, spelling_of = _spellings(sentences, n_tokens)
    steps = _StepIndices(sentences, n_tokens, n_actions)
    candidates = None
    if entities is not None:
        sets = [candidate_set for sentence in sentences for candidate_set in sentence.candidates]
        candidates = collate_candidates(sets, words, entities, topic)
    return Batch(
        words=pad([sentence.words for sentence in sentences], width=n_tokens),
        spellings=spellings,
        spelling_of=spelling_of,
        casing=pad([sentence.casing for sentence in sentences], width=n_tokens),
        gazetteer=pad([sentence.gazetteer for sentence in sentences], width=n_tokens),
        document_casing=pad([sentence.document_casing for sentence in sentences], width=n_tokens),
        lengths=torch.tensor([len(sentence.words) for sentence in sentences], dtype=torch.long),
        actions=pad([sentence.actions for sentence in sentences], IGNORE, n_actions),
        buffer_index=pad(steps.buffer_index, width=n_actions),
        stack_size=pad(steps.stack_size, width=n_actions),
        stack_index=pad(steps.stack_index, steps.empty_stack_row, n_actions),
        output_count=pad(steps.output_count, width=n_actions),
        chunk_tokens=pad(steps.chunk_tokens),
        chunk_lengths=torch.tensor(steps.chunk_lengths, dtype=torch.long),
        chunk_labels=torch.tensor(steps.chunk_labels, dtype=torch.long),
        chunk_steps=torch.tensor(steps.chunk_steps, dtype=torch.long),
        items=pad(steps.items),
        item_counts=torch.tensor([len(row) for row in steps.items], dtype=torch.long),
        candidates=candidates,
        contextual=_contextual(sentences, n_tokens),
        clusters=_optional_codes([sentence.clusters for sentence in sentences], n_tokens),
        ontonotes=_optional_codes([sentence.ontonotes for sentence in sentences], n_tokens),
    )


def _optional_codes(rows: Sequence[Sequence[int]], n_tokens: int) -> Tensor | None:
    """Padded token codes of a feature the sentences carry, None for one they do not (empty rows)."""
    return pad(rows, width=n_tokens) if any(rows) else None


def _contextual(sentences: Sequence[SentenceFeatures], n_tokens: int) -> Tensor | None:
    if not sentences or sentences[0].contextual is None:
        return None
    stacked = np.zeros((len(sentences), n_tokens, sentences[0].contextual.shape[1]), dtype=np.float32)
    for b, sentence in enumerate(sentences):
        stacked[b, : len(sentence.words)] = sentence.contextual
    return torch.from_numpy(stacked)


def _spellings(sentences: Sequence[SentenceFeatures], n_tokens: int) -> tuple[Tensor, Tensor]:
    """Each distinct spelling once, and each token's row: news text repeats its words (testb: 46k tokens, 10k
    types), so the character BiLSTM reads every spelling of a batch once."""
    rows: dict[tuple[int, ...], int] = {(): 0}
    spelling_of = [[rows.setdefault(token, len(rows)) for token in sentence.chars] for sentence in sentences]
    width = max(1, max(map(len, rows)))
    spellings = as_tensor([list(spelling) + [0] * (width - len(spelling)) for spelling in rows], np.int64)
    return spellings, pad(spelling_of, width=n_tokens)


class _StepIndices:
    """Runs each gold action sequence once and records, per step, the indices the network gathers."""

    def __init__(self, sentences: Sequence[SentenceFeatures], n_tokens: int, n_actions: int):
        self.buffer_index: list[list[int]] = []
        self.stack_size: list[list[int]] = []
        self.stack_index: list[list[int]] = []
        self.output_count: list[list[int]] = []
        self.chunk_tokens: list[list[int]] = []
        self.chunk_lengths: list[int] = []
        self.chunk_labels: list[int] = []
        self.chunk_steps: list[int] = []
        self.items: list[list[int]] = []
        spans = [span for sentence in sentences for span in sentence.spans]
        self.max_chunk = max([1] + [span.end - span.start for span in spans])
        self.empty_stack_row = len(spans) * self.max_chunk
        for b, sentence in enumerate(sentences):
            self._run(b, sentence, n_tokens, n_actions, len(sentences) * n_tokens)

    def _run(self, b: int, sentence: SentenceFeatures, n_tokens: int, n_actions: int, chunk_item_base: int) -> None:
        buffer_index, stack_size, stack_index, output_count, items = [], [], [], [], []
        i = stack_start = 0
        for t, action in enumerate(sentence.actions):
            chunk = len(self.chunk_lengths)
            size = i - stack_start
            buffer_index.append(i)
            stack_size.append(size)
            stack_index.append(chunk * self.max_chunk + size - 1 if size else self.empty_stack_row)
            output_count.append(len(items))
            if action == SHIFT_ID:
                i += 1
            elif action == OUT_ID:
                items.append(b * n_tokens + i)
                i += 1
                stack_start = i
            else:
                self.chunk_tokens.append([b * n_tokens + j for j in range(stack_start, i)])
                self.chunk_lengths.append(i - stack_start)
                self.chunk_labels.append(action - REDUCE_ID)
                self.chunk_steps.append(b * n_actions + t)
                items.append(chunk_item_base + chunk)
                stack_start = i
        for name, row in zip(
            ("buffer_index", "stack_size", "stack_index", "output_count"),
            (buffer_index, stack_size, stack_index, output_count),
            strict=True,
        ):
            getattr(self, name).append(row)
        self.items.append(items)


def collate_candidates(
    sets: Sequence[CandidateSet],
    words: Vocab,
    entities: Vocab,
    topic: bool = False,
    title_ids: Callable[[str], tuple[int, ...]] | None = None,
) -> Candidates:
    """Pad candidate sets of N mentions to the largest set; gold NIL becomes index C.

    Title words are listed once per distinct entity (`title` (U, W) and `slot` (N, C) into it): the candidate
    lists of a document's mentions repeat the same entities. `title_ids` gives an entity's (`title_word_ids` by
    default; a model passes its memo of them). The inputs of the document-topic score (every title word, the
    document's words) are made only with `topic`, for models with `document_topic`: they cost a vocabulary lookup
    per title word.
    """
    title_ids = title_ids or functools.partial(title_word_ids, words=words)
    n, width = len(sets), max([1] + [len(candidate_set.entities) for candidate_set in sets])
    features = np.zeros((n, width, N_CANDIDATE_FEATURES), dtype=np.float32)
    types = np.zeros((n, width), dtype=np.int64)
    entity_ids = np.zeros((n, width), dtype=np.int64)
    slots = np.zeros((n, width), dtype=np.int64)
    mask = np.zeros((n, width), dtype=bool)
    distinct: dict[str, int] = {"": 0}  # row 0: padding, no title words
    documents: dict[int, int] = {}  # id() of a shared `document` tuple → row
    document_of = [
        documents.setdefault(id(candidate_set.document), len(documents)) if topic else 0 for candidate_set in sets
    ]
    gold = []
    for i, candidate_set in enumerate(sets):
        count = len(candidate_set.entities)
        features[i, :count] = candidate_set.features
        types[i, :count] = candidate_set.types
        entity_ids[i, :count] = [entities.index(entity) for entity in candidate_set.entities]
        slots[i, :count] = [distinct.setdefault(entity, len(distinct)) for entity in candidate_set.entities]
        mask[i, :count] = True
        is_nil = candidate_set.gold == count
        gold.append(width if is_nil else candidate_set.gold if candidate_set.gold >= 0 else IGNORE)
    title = [(0,) * MAX_TITLE_WORDS] + [title_ids(entity) for entity in list(distinct)[1:]]
    topic_title = [[]] + [_word_ids(topic_words(entity), words) for entity in list(distinct)[1:]] if topic else [[]]
    by_id = {id(candidate_set.document): candidate_set.document for candidate_set in sets} if topic else {}
    return Candidates(
        entity=torch.from_numpy(entity_ids),
        title=as_tensor(title, np.int64),
        slot=torch.from_numpy(slots),
        features=torch.from_numpy(features),
        type=torch.from_numpy(types),
        mask=torch.from_numpy(mask),
        gold=torch.tensor(gold, dtype=torch.long),
        topic_title=pad(topic_title, width=MAX_TOPIC_WORDS),
        documents=pad([by_id[key] for key in documents] if topic else [()]),
        document_of=torch.tensor(document_of, dtype=torch.long),
    )


def title_word_ids(entity: str, words: Vocab) -> tuple[int, ...]:
    """The word ids of an entity's title (`title_words`), padded to `MAX_TITLE_WORDS`."""
    ids = _word_ids(title_words(entity)[:MAX_TITLE_WORDS], words)
    return (*ids, *[0] * (MAX_TITLE_WORDS - len(ids)))


def _word_ids(title: Sequence[str], words: Vocab) -> list[int]:
    return [word_index(words, word) for word in title]
