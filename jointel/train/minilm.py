"""MiniLM's first layers tuned as a tagger, so that the accurate model's contextual vectors know names.

all-MiniLM-L6-v2 was tuned for sentence similarity, and the accurate model reads it frozen: its word vectors say
what a sentence is about more than which words name what. Here its first `depth` layers learn to tag the training
documents (BIO over PER, LOC, ORG, MISC), read exactly as the accurate model reads them: the same windows
(`ContextualEncoder.windows`), a word's vector the mean of its pieces' mean hidden states (`LAST_LAYERS`), and a
linear layer over it. The embedding layer stays as the package ships it (frozen), so the tuned weights are the
layers alone (`save_tuned`), small enough to ship in a bundle, and `load_minilm(…, tuned=…)` puts them back.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from jointel.data.documents import LABELS, Document
from jointel.data.files import write_atomic
from jointel.data.tags import spans_to_tags, tags_to_spans
from jointel.evaluate.ner import ner_scores
from jointel.model.contextual import LAST_LAYERS, ContextualEncoder, Window, tuned_layers

logger = logging.getLogger(__name__)

TAGS = ("O", *(f"{prefix}-{label}" for label in LABELS for prefix in ("B", "I")))
_TAG_INDEX = {tag: index for index, tag in enumerate(TAGS)}


@dataclass(frozen=True)
class TuneConfig:
    """How MiniLM is tuned: its first `depth` layers, windows read as a model with `contextual_read_share` reads
    them, AdamW with a linearly decaying rate over `epochs`, `batch_windows` windows a step."""

    depth: int = 2
    read_share: float = 1.0
    epochs: int = 4
    learning_rate: float = 5e-5
    batch_windows: int = 8
    dropout: float = 0.1
    seed: int = 1


@dataclass(frozen=True)
class TaggedWindow:
    """A window, the document words it reads out (in order), and their gold tags."""

    window: Window
    words: np.ndarray  # (W,) document word index of each read-out word
    tags: np.ndarray  # (W,) index into TAGS


class Tagger(nn.Module):
    """MiniLM's first layers, the accurate model's read-out of words, and a linear layer to BIO tags."""

    def __init__(self, minilm: nn.Module, dropout: float):
        super().__init__()
        self.minilm = minilm
        self.minilm.embeddings.requires_grad_(False)
        self.dropout = nn.Dropout(dropout)
        self.tags = nn.Linear(minilm.config.hidden_size, len(TAGS))

    def forward(self, ids: Tensor, mask: Tensor, owners: Tensor, n_words: int) -> Tensor:
        """Tag scores (n_words, len(TAGS)) of the words `owners` (B, L) numbers 0…n_words-1 (-1: not read out)."""
        return self.tags(self.dropout(self.words(ids, mask, owners, n_words)))

    def words(self, ids: Tensor, mask: Tensor, owners: Tensor, n_words: int) -> Tensor:
        """(n_words, D): each word's mean over its pieces of their mean hidden state, as `ContextualEncoder` reads
        it out."""
        states = self.minilm(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states
        pieces = torch.stack(states[-LAST_LAYERS:]).mean(0)[:, 1 : 1 + owners.shape[1]]  # [CLS] and [SEP] left out
        keep = owners >= 0
        sums = pieces.new_zeros(n_words, pieces.shape[-1]).index_add_(0, owners[keep], pieces[keep])
        counts = torch.bincount(owners[keep], minlength=n_words).clamp(min=1).unsqueeze(1)
        return sums / counts


def tagged_windows(encoder: ContextualEncoder, documents: Sequence[Document]) -> list[TaggedWindow]:
    """Every window of `documents` with the gold tags of the words it reads out."""
    tagged = []
    for document in documents:
        tokens = [sentence.tokens for sentence in document.sentences]
        tags = [
            _TAG_INDEX[tag]
            for sentence in document.sentences
            for tag in spans_to_tags(len(sentence.tokens), sentence.spans)
        ]
        for window in encoder.windows(tokens):
            words = np.unique(window.owners[window.owners >= 0])
            tagged.append(TaggedWindow(window, words, np.asarray(tags, dtype=np.int64)[words]))
    return tagged


def batch_tensors(encoder: ContextualEncoder, batch: Sequence[TaggedWindow]) -> tuple[Tensor, Tensor, Tensor, int]:
    """(ids, mask, owners numbered through the batch's words, number of words) for `Tagger.forward`."""
    ids, mask = encoder.padded([item.window for item in batch])
    owners = np.full((len(batch), ids.shape[1] - 2), -1, dtype=np.int64)
    offset = 0
    for row, item in enumerate(batch):
        local = np.searchsorted(item.words, item.window.owners)
        owners[row, : len(local)] = np.where(item.window.owners >= 0, local + offset, -1)
        offset += len(item.words)
    return torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(owners), offset


def tag_f1(tagger: Tagger, encoder: ContextualEncoder, documents: Sequence[Document], batch: int = 16) -> float:
    """Span F1 (conlleval's) of the tagger's greedy BIO tags on `documents`."""
    tagger.eval()
    gold, predicted = [], []
    with torch.inference_mode():
        for document in documents:
            items = tagged_windows(encoder, [document])
            n = sum(len(sentence.tokens) for sentence in document.sentences)
            tags = ["O"] * n
            for start in range(0, len(items), batch):
                chunk = items[start : start + batch]
                best = tagger(*batch_tensors(encoder, chunk)).argmax(-1).tolist()
                words = np.concatenate([item.words for item in chunk]).tolist()
                for word, tag in zip(words, best, strict=True):
                    tags[word] = TAGS[tag]
            first = 0
            for sentence in document.sentences:
                gold.append(sentence.spans)
                predicted.append(tags_to_spans(tags[first : first + len(sentence.tokens)]))
                first += len(sentence.tokens)
    return ner_scores(gold, predicted).micro.f1


def tune_minilm(
    train: Sequence[Document],
    dev: Sequence[Document],
    out: Path,
    config: TuneConfig,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, float]]:
    """Tune MiniLM's first `config.depth` layers on `train`; after each epoch, the layers go to `out/minilm.pt`
    when the tag F1 on `dev` is the best so far. Returns one row per epoch (mean loss, dev tag F1)."""
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    encoder = ContextualEncoder(depth=config.depth, read_share=config.read_share)
    tagger = Tagger(copy.deepcopy(encoder.model).requires_grad_(True), config.dropout)  # the loaded one stays frozen
    windows = tagged_windows(encoder, train)
    steps = config.epochs * -(-len(windows) // config.batch_windows)
    trained = [parameter for parameter in tagger.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(trained, lr=config.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / steps))
    out.mkdir(parents=True, exist_ok=True)
    history: list[dict[str, float]] = []
    best = -1.0
    for epoch in range(1, config.epochs + 1):
        tagger.train()
        random.shuffle(windows)
        total = 0.0
        for start in range(0, len(windows), config.batch_windows):
            batch = windows[start : start + config.batch_windows]
            *inputs, n_words = batch_tensors(encoder, batch)
            gold = torch.from_numpy(np.concatenate([item.tags for item in batch]))
            loss = nn.functional.cross_entropy(tagger(*inputs, n_words), gold)
            loss.backward()
            nn.utils.clip_grad_norm_(trained, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += loss.item()
            if progress is not None:
                progress(start + len(batch), len(windows))
        f1 = tag_f1(tagger, encoder, dev)
        history.append({"epoch": epoch, "loss": total / len(windows) * config.batch_windows, "dev_tag_f1": f1})
        logger.info("epoch %d: loss %.4f, dev tag F1 %.2f", epoch, history[-1]["loss"], 100 * f1)
        if f1 > best:
            best = f1
            save_tuned(tagger.minilm, out / "minilm.pt")
        write_atomic(out / "history.json", json.dumps({"config": asdict(config), "epochs": history}, indent=2).encode())
    return history


def save_tuned(minilm: nn.Module, path: Path) -> None:
    """The tuned layers (not the frozen embeddings), half precision: what `load_minilm(tuned=…)` reads."""
    buffer = io.BytesIO()
    torch.save({name: value.half() for name, value in tuned_layers(minilm).items()}, buffer)
    write_atomic(path, buffer.getvalue())
