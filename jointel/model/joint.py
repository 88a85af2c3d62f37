"""JointModel: one token encoder, the Stack-LSTM transition head (NER) and the linker (EL), trained together.

Loss = ner_weight · NLL(gold actions) + el_weight · NLL(gold entity or NIL at each gold REDUCE)
(Martins et al. 2019 §3). `el_weight = 0` is the NER-only model, `ner_weight = 0` the EL-only model (linking gold
mentions with the same encoder), so the single-task baselines differ from the joint model in the loss alone.
"""

from __future__ import annotations

import functools
import itertools
import math
import pickle
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from jointel.data.documents import Span
from jointel.data.files import replaced_atomically
from jointel.model.batch import (
    IGNORE,
    Batch,
    Candidates,
    collate,
    collate_candidates,
    length_batches,
    title_word_ids,
)
from jointel.model.candidate_features import CandidateSet
from jointel.model.clusters import CLUSTERS_FILE, WordClusters
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.contextual_source import TUNED_FILE, ContextualSource
from jointel.model.encoder import TokenEncoder
from jointel.model.features import SentenceFeatures
from jointel.model.linker import Linker
from jointel.model.ontonotes import OntoNotesTagger
from jointel.model.stack_lstm import Decoded, StackLSTM
from jointel.model.threshold import forget_nil_threshold
from jointel.model.tokens import TokenIds
from jointel.model.vocab import Vocab, load_vocabs, save_vocabs

TITLE_MEMO = 1 << 15  # entities whose title word ids a model keeps between linking calls (at most ~8 MB)


@dataclass(frozen=True)
class LossParts:
    total: Tensor
    ner: float
    el: float


@dataclass(frozen=True)
class Logits:
    """Teacher-forced scores of a batch (`JointModel.logits`)."""

    actions: Tensor  # (B, A, n_actions), illegal actions at -inf
    links: Tensor | None  # (N, C + 1) each gold mention's candidates (padding at -inf) and NIL, last


@dataclass(frozen=True)
class Prediction:
    """A predicted mention: the span (with entity, None = NIL), the REDUCE probability and the link probability."""

    span: Span
    ner_score: float
    el_score: float
    candidates: tuple[tuple[str, float], ...] = ()  # (entity, probability), best first
    nil_score: float = 0.0  # the probability of NIL (1.0 without candidates)

    def with_nil_bias(self, bias: float) -> Prediction:
        """The decision with NIL's log-odds lowered by `bias`, probabilities renormalised; the NIL threshold then
        applies as ever. The bias is chosen on dev with the threshold (`calibrate_nil`): the linker learned NIL from
        AIDA's mentions of entities Wikipedia lacked in 2010, and with a KB of all of Wikipedia it says NIL for
        entities it merely never saw."""
        if bias == 0.0 or not self.candidates:
            return self
        nil = self.nil_score * math.exp(-bias)
        total = 1.0 - self.nil_score + nil
        candidates = tuple((entity, probability / total) for entity, probability in self.candidates)
        nil /= total
        entity, score = candidates[0]
        if nil >= score:  # as `_choose` decides
            entity, score = None, nil
        span = replace(self.span, entity=entity)
        return replace(self, span=span, el_score=score, candidates=candidates, nil_score=nil)

    def is_made_nil(self, nil_threshold: float | None) -> bool:
        """A link less probable than `nil_threshold` becomes NIL (one at the threshold is kept); the one rule of
        annotation, evaluation and calibration."""
        return self.span.entity is not None and nil_threshold is not None and self.el_score < nil_threshold

    def entity_at(self, nil_threshold: float | None) -> str | None:
        """The linked entity once `nil_threshold` applies (None = NIL)."""
        return None if self.is_made_nil(nil_threshold) else self.span.entity

    def linked_anyway(self) -> Prediction:
        """This mention linked to its best candidate even where NIL won (unchanged without candidates): the
        decision rule for scoring by InKB convention, where NIL can earn nothing (see `evaluate_model`)."""
        if self.span.entity is not None or not self.candidates:
            return self
        entity, probability = self.candidates[0]
        return replace(self, span=replace(self.span, entity=entity), el_score=probability)


@dataclass(frozen=True)
class TokenVectors:
    """The token encoder's output for some sentences, stored flat (sentence after sentence): what the greedy decoder
    reads, and what teacher forcing reads again to link given spans in the same sentences (`padded`)."""

    tokens: Tensor  # (N, D) every token's vector
    shares: Tensor  # (N, H) every token's `StackLSTM.buffer_share`
    lengths: Tensor  # (B,) tokens per sentence

    def padded(self, sentences: Sequence[int], width: int) -> Tensor:
        """(len(sentences), width, D): the vectors of those sentences, zeros after each one's end (teacher forcing
        reads no padding position)."""
        lengths = self.lengths[list(sentences)]  # (B,)
        first = (torch.cumsum(self.lengths, 0) - self.lengths)[list(sentences)]
        positions = torch.arange(width)
        inside = positions.unsqueeze(0) < lengths.unsqueeze(1)  # (B, width)
        padded = self.tokens.new_zeros(len(lengths), width, self.tokens.shape[1])
        padded[inside] = self.tokens[(first.unsqueeze(1) + positions)[inside]]
        return padded


class JointModel(nn.Module):
    """The shared token encoder feeds the Stack-LSTM parser; the parser's state at each REDUCE feeds the linker.

    Training (`loss`) runs teacher-forced on gold actions; prediction is two-step (`encode` and `decode`, then
    `link` with the document's other mentions as context, in `predict.py`). `save()`/`load()` keep config,
    vocabularies and weights. A model with `contextual_dim` reads MiniLM's vectors from `contextual`, a source its
    owner makes and may share (`ContextualSource`): the network itself keeps no cache. One with `cluster_dim` reads
    word classes (`clusters`, saved beside the vocabularies), one with `ontonotes_dim` spaCy's NER tags (`tagger`).
    """

    def __init__(
        self,
        config: ModelConfig,
        vocabs: dict[str, Vocab],
        contextual: ContextualSource | None = None,
        clusters: WordClusters | None = None,
    ):
        super().__init__()
        if bool(config.cluster_dim) != (clusters is not None) or (clusters and clusters.dim != config.cluster_dim):
            raise ConfigError(f"cluster_dim {config.cluster_dim} needs word classes of that many dimensions")
        self.config = config
        self.vocabs = vocabs
        self.clusters = clusters
        self.tagger = OntoNotesTagger() if config.ontonotes_dim else None
        n_clusters = len(clusters.vectors) if clusters is not None else 0
        self.encoder = TokenEncoder(config, len(vocabs["words"]), len(vocabs["chars"]), n_clusters)
        if clusters is not None:
            self.encoder.cluster_vectors.copy_(torch.from_numpy(clusters.table()))
        self.parser = StackLSTM(config, self.encoder.output_dim)
        self.linker = Linker(config, len(vocabs["entities"]), self.encoder.words, config.hidden)
        self.contextual = contextual
        # Each linking call lists its candidates' title word ids; the same entities come back call after call.
        title_ids = functools.partial(title_word_ids, words=vocabs["words"])
        self.title_ids = functools.lru_cache(maxsize=TITLE_MEMO)(title_ids)

    def set_word_vectors(self, words: Sequence[str], vectors: np.ndarray) -> None:
        """Initialise the embedding row of each of `words` that the vocabulary holds from its pre-trained vector."""
        vocab = self.vocabs["words"]
        rows = [(vocab.index(word), i) for i, word in enumerate(words) if word in vocab]
        targets = torch.tensor([row for row, _ in rows], dtype=torch.long)
        sources = torch.tensor([i for _, i in rows], dtype=torch.long)
        with torch.no_grad():
            self.encoder.words.weight[targets] = torch.from_numpy(np.array(vectors))[sources]

    def token_ids(self) -> TokenIds:
        """A fresh memo of the ids this model reads of each token."""
        return TokenIds(self.vocabs["words"], self.vocabs["chars"], self.clusters, self.tagger)

    def batch(self, sentences: Sequence[SentenceFeatures], with_candidates: bool = True) -> Batch:
        entities = self.vocabs["entities"] if with_candidates else None
        return collate(sentences, self.vocabs["words"], entities, self.config.document_topic)

    def loss(self, batch: Batch) -> LossParts:
        logits = self.logits(batch, with_links=self.links_trained(batch))
        ner, el = self.gold_losses(batch, logits)
        total = self.config.ner_weight * ner + self.config.el_weight * el
        return LossParts(total, float(ner.detach()), float(el.detach()))

    def links_trained(self, batch: Batch) -> bool:
        """Whether `batch` takes a linking loss: the model links, and a gold mention has a gold entity (or NIL)."""
        candidates = batch.candidates
        return candidates is not None and self.config.el_weight > 0 and bool((candidates.gold != IGNORE).any())

    def logits(self, batch: Batch, with_links: bool = True) -> Logits:
        """Teacher-forced scores of every gold step's actions and (`with_links`, given candidates) of each gold
        mention's candidates and NIL: what the gold losses and distillation (`train/distil_loss.py`) compare."""
        tokens = self.encoder(batch)
        states, chunks = self.parser.teacher_forced(tokens, batch)
        buffer_size = batch.lengths.unsqueeze(1) - batch.buffer_index
        actions = self.parser.action_logits(states, batch.stack_size, buffer_size)  # (B, A, 6)
        links = None
        if with_links and batch.candidates is not None and len(batch.chunk_steps) > 0:
            reduce_states = states.reshape(-1, states.shape[-1])[batch.chunk_steps]
            links = self.linker(reduce_states, chunks, batch.chunk_labels, batch.candidates)  # (N, C + 1)
        return Logits(actions, links)

    def gold_losses(self, batch: Batch, logits: Logits) -> tuple[Tensor, Tensor]:
        """NLL of the gold actions and of the gold links (zero without link scores), summed per sentence."""
        valid = batch.actions != IGNORE
        n_sentences = batch.words.shape[0]
        # Sums per sentence, as Lample et al. train: a mean per action would weigh a sentence's ~30 actions like
        # its ~2 mentions, and the linking loss would then dominate the shared layers (seed 1, 7 epochs: dev NER
        # F1 91.1 joint against 92.7 NER-only).
        ner = nn.functional.cross_entropy(logits.actions[valid], batch.actions[valid], reduction="sum") / n_sentences
        el = logits.actions.new_zeros(())
        if logits.links is not None and batch.candidates is not None and (batch.candidates.gold != IGNORE).any():
            gold = batch.candidates.gold
            el = nn.functional.cross_entropy(logits.links, gold, ignore_index=IGNORE, reduction="sum") / n_sentences
        return ner, el

    @torch.inference_mode()
    def encode(self, sentences: Sequence[SentenceFeatures], encode_batch: int = 256) -> TokenVectors:
        """The token encoder's vectors of any number of sentences, read `encode_batch` sentences of similar length
        at a time (padding costs memory there), stored flat with each token's buffer share for the decoder."""
        lengths = [len(sentence.words) for sentence in sentences]
        first = list(itertools.accumulate(lengths, initial=0))  # each sentence's first row in the flat tensors
        tokens = shares = None
        for indices in length_batches(lengths, encode_batch):
            batch = self.batch([sentences[i] for i in indices], with_candidates=False)
            encoded = self.encoder(batch)
            if tokens is None:  # filled in place, batch by batch: no concatenated copies (memory)
                tokens = encoded.new_empty(first[-1], encoded.shape[-1])
                shares = encoded.new_empty(first[-1], self.config.hidden)
            rows = torch.cat([torch.arange(first[i], first[i] + lengths[i]) for i in indices])
            inside = torch.arange(encoded.shape[1]).unsqueeze(0) < batch.lengths.unsqueeze(1)
            tokens[rows] = encoded[inside]
            shares[rows] = self.parser.buffer_share(self.parser.buffer_summaries(encoded, batch.lengths)[inside])
        if tokens is None:
            tokens, shares = torch.zeros(0, self.encoder.output_dim), torch.zeros(0, self.config.hidden)
        return TokenVectors(tokens, shares, torch.tensor(lengths, dtype=torch.long))

    @torch.inference_mode()
    def decode(self, vectors: TokenVectors) -> Decoded:
        """Greedy NER of the sentences `encode` read: spans per sentence with, per span, the parser state and chunk.

        The decoder runs all sentences at once, on tokens stored flat, so it takes as many steps as the longest
        sentence needs whatever their number.
        """
        return self.parser.decode_flat(vectors.tokens, vectors.shares, vectors.lengths)

    @torch.inference_mode()
    def gold_mentions(
        self, sentences: Sequence[SentenceFeatures], vectors: TokenVectors | None = None, rows: Sequence[int] = ()
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Parser states, chunks and labels at the gold REDUCEs of `sentences` (disambiguation of given spans).

        Given `vectors` (of `encode`), the sentences are its sentences `rows` with spans added, and the encoder does
        not read them again."""
        batch = self.batch(sentences, with_candidates=False)
        tokens = self.encoder(batch) if vectors is None else vectors.padded(rows, batch.words.shape[1])
        states, chunks = self.parser.teacher_forced(tokens, batch)
        return states.reshape(-1, states.shape[-1])[batch.chunk_steps], chunks, batch.chunk_labels

    @torch.inference_mode()
    def link(
        self,
        states: Tensor,
        items: Tensor,
        labels: Tensor,
        spans: Sequence[Span],
        sets: Sequence[CandidateSet],
        ner_scores: Sequence[float],
        allow_nil: bool = True,
    ) -> list[Prediction]:
        """Link N mentions: the most probable of each one's candidates and NIL (`allow_nil=False`: candidates only,
        the disambiguation setting where every mention is known to be in the KB)."""
        if not sets:
            return []
        probabilities = self.link_probabilities(states, items, labels, self.collate_candidates(sets))
        return choose_links(probabilities, spans, sets, ner_scores, allow_nil)

    def collate_candidates(self, sets: Sequence[CandidateSet]) -> Candidates:
        return collate_candidates(
            sets, self.vocabs["words"], self.vocabs["entities"], self.config.document_topic, self.title_ids
        )

    @torch.inference_mode()
    def link_probabilities(self, states: Tensor, items: Tensor, labels: Tensor, candidates: Candidates) -> Tensor:
        """(N, C + 1): each mention's probabilities over its candidates (padded to the batch's C) and NIL, last."""
        return self.linker(states, items, labels, candidates).softmax(-1)

    def save(self, directory: Path) -> None:
        """Write `config.json`, `vocabs.json` and `weights.pt`: all that `load()` needs, and the tuned MiniLM layers
        the model reads as `minilm.pt`. A NIL threshold calibrated for the weights these replace is removed (see
        `threshold.py`)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        forget_nil_threshold(directory)
        tuned = self.contextual.tuned if self.contextual is not None else None
        if tuned is not None and tuned.resolve() != (directory / TUNED_FILE).resolve():
            with replaced_atomically(directory / TUNED_FILE) as temp:
                shutil.copyfile(tuned, temp)
        config = replace(self.config, contextual_tuned=TUNED_FILE) if tuned is not None else self.config
        config.save(directory / "config.json")
        save_vocabs(directory / "vocabs.json", self.vocabs)
        if self.clusters is not None:
            self.clusters.save(directory / CLUSTERS_FILE)
        with replaced_atomically(directory / "weights.pt") as temp:
            torch.save(self.state_dict(), temp)

    @classmethod
    def load(cls, directory: Path, contextual: ContextualSource | None = None) -> JointModel:
        """The model saved in `directory`, reading contextual vectors from `contextual` if its config asks for them
        (by default a source that keeps nothing: see `ContextualSource.for_config`)."""
        directory = Path(directory)
        for name in ("config.json", "vocabs.json", "weights.pt"):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name}: missing; is {directory} a model saved by jointel?")
        config = ModelConfig.load(directory / "config.json", saved_model=True)
        contextual = contextual if contextual is not None else ContextualSource.for_config(config, directory=directory)
        model = cls(config, load_vocabs(directory / "vocabs.json"), contextual, load_clusters(directory, config))
        path = directory / "weights.pt"
        state = read_saved(path, "weights file", "retrain or copy it again")
        if isinstance(state, dict):
            dequantize_into(model, state)
        check_fits(model, state, path, "were config.json or vocabs.json changed? Copy the model directory again, whole")
        # A shipped bundle stores half-precision weights (half the size); the network computes in float32.
        model.load_state_dict(
            {name: value.float() if value.is_floating_point() else value for name, value in state.items()}
        )
        model.eval()
        return model


INT8, INT8_SCALE = ".int8", ".int8_scale"  # a tensor stored as 8-bit rows (`quantized_rows`) and their scales


def quantized_rows(weight: Tensor) -> tuple[Tensor, Tensor]:
    """`weight` (N, D) as int8 rows and one scale per row, for a bundle: word vectors in a quarter of
    float32's bytes, each value within half its row's step (max |row| / 127) of the original."""
    scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127
    return torch.round(weight / scale.unsqueeze(1)).to(torch.int8), scale


def dequantize_into(model: nn.Module, state: dict) -> None:
    """Each tensor of `state` stored by `quantized_rows` (`NAME.int8`, `NAME.int8_scale`) computed in place into the
    model's own `NAME`, which then stands in `state` for them: no float copy of the largest tensor is made (glibc
    would keep its pages: +38 MB resident for the default bundle's word vectors)."""
    own = model.state_dict()  # detached tensors sharing the parameters' storage
    for name in [name for name in state if name.endswith(INT8)]:
        target = name.removesuffix(INT8)
        rows, scale = state[name], state.get(target + INT8_SCALE)
        weight = own.get(target)
        fits = isinstance(rows, Tensor) and isinstance(scale, Tensor) and weight is not None
        if fits and rows.shape == weight.shape and scale.shape == weight.shape[:1]:
            weight.copy_(rows).mul_(scale.float().unsqueeze(1))
            state[target] = weight
            del state[name], state[target + INT8_SCALE]


def load_clusters(directory: Path, config: ModelConfig) -> WordClusters | None:
    """The word classes saved in `directory`, if a model of `config` reads them."""
    if not config.cluster_dim:
        return None
    path = Path(directory) / CLUSTERS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; the model reads word classes: copy the model directory again, whole")
    return WordClusters.load(path)


def read_saved(path: Path, what: str, remedy: str, weights_only: bool = True) -> object:
    """`torch.load` of a file that jointel saved; an empty, cut, damaged or foreign file is a ConfigError naming it.

    The archive is checked before torch reads it: torch reports each kind of damage by another exception (an empty
    file by EOFError, which typer prints as a bare "Aborted."), and never checks the archive's CRCs.
    """
    problem = f"{path}: not a jointel {what} (truncated?); {remedy}"
    if not _is_intact_archive(path):
        raise ConfigError(problem)
    try:
        return torch.load(path, map_location="cpu", weights_only=weights_only)
    except (RuntimeError, ValueError, pickle.UnpicklingError):  # an intact zip archive that torch did not write
        raise ConfigError(problem) from None


def _is_intact_archive(path: Path) -> bool:
    """Whether `path` is a zip archive (what `torch.save` writes) whose members all match their CRCs."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, ValueError, RuntimeError):  # a damaged directory: names, sizes, methods, flags
        return False


def check_fits(model: nn.Module, state: object, path: Path, remedy: str) -> None:
    """`state`, read from `path`, is a state dict with `model`'s tensors, shape for shape; else a ConfigError that
    names the first misfit (`load_state_dict` lists them all, behind a traceback, in a hundred lines)."""
    if not isinstance(state, dict) or not all(isinstance(value, Tensor) for value in state.values()):
        raise ConfigError(f"{path}: not a jointel state dict (names and tensors); {remedy}")
    expected = model.state_dict()
    misfits = [f"{name} is missing" for name in expected if name not in state]
    misfits += [f"{name} is not one of the model's" for name in state if name not in expected]
    misfits += [
        f"{name} is {tuple(state[name].shape)} here, {tuple(tensor.shape)} in the model"
        for name, tensor in expected.items()
        if name in state and state[name].shape != tensor.shape
    ]
    if misfits:
        more = f" (and {len(misfits) - 1} more)" if len(misfits) > 1 else ""
        raise ConfigError(f"{path}: tensors of another model: {misfits[0]}{more}; {remedy}")


def choose_links(
    probabilities: Tensor,
    spans: Sequence[Span],
    sets: Sequence[CandidateSet],
    ner_scores: Sequence[float],
    allow_nil: bool = True,
) -> list[Prediction]:
    """The predictions of `link_probabilities` (N, C + 1) for the mentions `spans` with candidates `sets`."""
    rows = probabilities.tolist()  # one conversion
    return [
        _choose(span, score, candidate_set, row, allow_nil)
        for span, score, candidate_set, row in zip(spans, ner_scores, sets, rows, strict=True)
    ]


def _choose(
    span: Span, ner_score: float, candidates: CandidateSet, probabilities: list[float], allow_nil: bool = True
) -> Prediction:
    """The most probable of candidates and NIL (or of the candidates alone); NIL when there is no candidate.

    `probabilities` are the C + 1 of the padded batch: the set's own come first, NIL last."""
    n = len(candidates.entities)
    if n == 0:
        return Prediction(replace(span, entity=None), ner_score, 1.0, (), 1.0)
    scores = probabilities[:n]
    nil = probabilities[-1]
    ranked = sorted(zip(candidates.entities, scores, strict=True), key=lambda pair: -pair[1])
    entity, score = ranked[0]
    if allow_nil and nil >= score:
        return Prediction(replace(span, entity=None), ner_score, nil, tuple(ranked), nil)
    return Prediction(replace(span, entity=entity), ner_score, score, tuple(ranked), nil)
