"""Training: epochs of teacher-forced mini-batches, dev evaluation, early stopping, atomic checkpoints, resume.

Layout of the output directory:
  model/             the best model so far (config.json, vocabs.json, weights.pt), replaced atomically
  checkpoint.pt      the latest state (model, optimizer, epoch, history, random states) for `--resume`
  history.json       one row per epoch: losses, dev scores, speed
  training_curve.png loss and dev F1 per epoch
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from jointel.data.documents import Document
from jointel.data.files import replaced_directory, tidy, write_atomic
from jointel.evaluate.report import score_corpus
from jointel.kb.lookup import KB, names_kb
from jointel.model.actions import ACTIONS
from jointel.model.batch import Batch, length_batches
from jointel.model.clusters import CLUSTERS_FILE
from jointel.model.clusters import from_package as clusters_from_package
from jointel.model.config import ModelConfig
from jointel.model.contextual_source import ContextualSource, contextual_vectors
from jointel.model.features import SentenceFeatures
from jointel.model.inputs import HeldOut, KBAccess, NameOnly, gold_features
from jointel.model.joint import JointModel, check_fits, load_clusters
from jointel.model.predict import link_documents, predict_documents
from jointel.model.vectors import load_glove
from jointel.model.vocab import build_vocabs, load_vocabs, save_vocabs
from jointel.train.augment import swapped_documents, wikipedia_names
from jointel.train.average import WeightAverage
from jointel.train.checkpoint import RESTART, load_checkpoint, save_checkpoint
from jointel.train.curve import plot_history
from jointel.train.distil import (
    SoftTargets,
    check_teachers,
    load_teacher,
    mean_targets,
    student_targets,
    teacher_targets,
)
from jointel.train.distil_loss import distilled_loss

logger = logging.getLogger(__name__)

SWAP_NAMES_PER_TYPE = 20_000  # `mention_swap_names` "wikipedia": names of persons, and of places, Wikipedia lends
OUTPUTS = ("model", "vocabs.json", "checkpoint.pt", "history.json", "training_curve.png")
Progress = Callable[[int, int], None]  # (done, total): documents read by MiniLM, then batches of each epoch


@dataclass
class EpochResult:
    epoch: int
    ner_loss: float
    el_loss: float
    dev_ner_f1: float
    dev_el_f1: float
    dev_ed_accuracy: float
    seconds: float
    sentences_per_second: float

    def selection_score(self, selection: str = "all") -> float:
        """The dev score that picks the best epoch: `all` sums NER F1, EL F1 and ED accuracy; `ner` is NER F1 alone
        (a joint model's EL scores can peak epochs before its NER does, and stop it early)."""
        if selection == "ner":
            return self.dev_ner_f1
        return self.dev_ner_f1 + self.dev_el_f1 + self.dev_ed_accuracy


def train_model(
    config: ModelConfig,
    train: Sequence[Document],
    dev: Sequence[Document],
    kb: KB,
    out_dir: Path,
    resume: bool = False,
    progress: Progress | None = None,
    contextual_cache: Path | None = None,
    teachers: Sequence[Path] = (),
) -> list[EpochResult]:
    """Train until `config.epochs` or `config.patience` epochs without dev improvement; the best model is kept.
    With `config.train_with_dev` the dev documents are training documents too, and training runs all `epochs` and
    keeps the last model: dev can no longer choose.

    A model with contextual features first reads every document with MiniLM (`progress` counts documents then),
    from and into `contextual_cache` if given; the run's source remembers them all until training ends (see
    `ContextualSource`).

    With `config.distil_weight` > 0 the model learns from the models saved in `teachers` too (knowledge
    distillation, `train/distil.py`; several are one ensemble), whose distributions on the training sentences are
    computed once, here.
    """
    check_teachers(config, teachers)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # a resumed run with no epoch left writes none of them: clear a killed run's leftovers
        tidy(out_dir / name)
    access = KBAccess.for_model(kb, config.candidate_protocol, config)
    if config.mention_swap_rate:
        more = wikipedia_names(names_kb(kb), SWAP_NAMES_PER_TYPE) if config.mention_swap_names == "wikipedia" else None
        train = [*train, *swapped_documents(train, config.mention_swap_rate, config.seed, more)]
    extra = list(dev) if config.train_with_dev else []
    training = [*train, *extra]
    _seed(config.seed)
    contextual = ContextualSource.for_config(config, contextual_cache, remember=True)
    model = _new_or_resumed_model(config, training, access, out_dir, resume, contextual)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    average = WeightAverage(model, config.weight_average) if config.weight_average else None
    history: list[EpochResult] = []
    if resume:
        history = _restore(load_checkpoint(out_dir / "checkpoint.pt"), out_dir, model, optimizer, average)
    held_out = HeldOut.under(kb, access.protocol, config) if config.leave_one_out_priors else None
    name_only = NameOnly.under(kb, config)
    vectors = contextual_vectors(
        contextual, [[s.tokens for s in document.sentences] for document in [*train, *dev]], progress
    )
    token_ids = model.token_ids()
    with_links = config.el_weight > 0
    features = gold_features(train, token_ids, access, vectors[: len(train)], held_out, with_links, name_only)
    if extra:  # dev, whose mentions have nothing of their own to hold out: the KB's priors count train's links
        features += gold_features(extra, token_ids, access, vectors[len(train) :], None, with_links, name_only)
    targets = None
    if config.distil_weight > 0 and teachers:
        targets = mean_targets(
            [_soft_targets(config, teacher, train, extra, kb, contextual_cache, name_only) for teacher in teachers]
        )
    singletons = _singleton_mask(model, training)
    for epoch in range(len(history) + 1, config.epochs + 1):
        if is_finished(history, config):
            break
        result = _train_epoch(model, optimizer, features, singletons, epoch, progress, average, targets)
        with average.swapped_in() if average is not None else nullcontext():  # the weights the model is
            history.append(_evaluate_dev(model, dev, access, result))
            logger.info("epoch %d: %s", epoch, history[-1])
            best = max(r.selection_score(config.selection) for r in history)
            if config.train_with_dev or history[-1].selection_score(config.selection) >= best:
                _save_model(model, out_dir / "model")
        _save_state(out_dir, model, optimizer, history, average)
    return history


def _new_or_resumed_model(
    config, train, access: KBAccess, out_dir: Path, resume: bool, contextual: ContextualSource | None
) -> JointModel:
    if resume:
        return JointModel(config, load_vocabs(out_dir / "vocabs.json"), contextual, load_clusters(out_dir, config))
    words, vectors = load_glove(config.max_pretrained_words) if config.pretrained_vectors else ([], None)
    vocabs = build_vocabs(train, words, access.protocol.candidates if config.el_weight > 0 else None)
    save_vocabs(out_dir / "vocabs.json", vocabs)
    clusters = None
    if config.cluster_dim:
        clusters = clusters_from_package(config.cluster_dim)
        clusters.save(out_dir / CLUSTERS_FILE)
    model = JointModel(config, vocabs, contextual, clusters)
    if vectors is not None:
        model.set_word_vectors(words, vectors)
    return model


def _soft_targets(
    config: ModelConfig,
    teacher: Path,
    train: Sequence[Document],
    extra: Sequence[Document],
    kb: KB,
    contextual_cache: Path | None,
    name_only: NameOnly | None,
) -> list[SoftTargets]:
    """The teacher's soft targets of the training sentences, in the order of their features; the teacher is let go
    afterwards (an accurate model holds MiniLM), before the next one is read."""
    logger.info(
        "distilling from the teacher %s: distil_weight %s, distil_temperature %s",
        teacher,
        config.distil_weight,
        config.distil_temperature,
    )
    model = load_teacher(teacher, contextual_cache)
    targets = teacher_targets(model, train, kb, config.leave_one_out_priors, name_only)
    if extra:  # dev, as `gold_features` reads it: nothing of its own to hold out
        targets += teacher_targets(model, extra, kb, False, name_only)
    return student_targets(targets, ACTIONS)


def _train_epoch(
    model,
    optimizer,
    features: Sequence[SentenceFeatures],
    singletons,
    epoch: int,
    progress,
    average=None,
    targets: Sequence[SoftTargets] | None = None,
):
    """One pass over the training sentences; with the teacher's `targets` (one per sentence), distilled."""
    model.train()
    batches = list(length_batches([len(f.words) for f in features], model.config.batch_size))
    random.shuffle(batches)
    ner_total = el_total = 0.0
    start = time.perf_counter()
    for done, indices in enumerate(batches, start=1):
        sentences = [features[i] for i in indices]
        batch = model.batch(sentences, with_candidates=model.config.el_weight > 0)
        _drop_words(batch, singletons, model.config.word_dropout)
        if targets is None:
            parts = model.loss(batch)
        else:
            parts = distilled_loss(model, batch, sentences, [targets[i] for i in indices])
        optimizer.zero_grad()
        parts.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), model.config.clip)
        optimizer.step()
        if average is not None:
            average.update()
        ner_total, el_total = ner_total + parts.ner, el_total + parts.el
        if progress is not None:
            progress(done, len(batches))
    seconds = time.perf_counter() - start
    n = max(1, len(batches))
    return EpochResult(epoch, ner_total / n, el_total / n, 0.0, 0.0, 0.0, seconds, len(features) / seconds)


def _evaluate_dev(model: JointModel, dev: Sequence[Document], access: KBAccess, result: EpochResult) -> EpochResult:
    """Dev NER F1 and end-to-end EL F1 (greedy decoding) and ED accuracy on gold mentions."""
    scores = score_corpus(dev, predict_documents(model, dev, access))
    ed = (
        score_corpus(dev, link_documents(model, dev, access, allow_nil=False)).ed.accuracy
        if model.config.el_weight > 0
        else 0.0
    )
    ner_f1 = scores.ner.micro.f1 if model.config.ner_weight > 0 else 0.0
    el_f1 = scores.el.micro.f1 if model.config.ner_weight > 0 and model.config.el_weight > 0 else 0.0
    return EpochResult(**{**asdict(result), "dev_ner_f1": ner_f1, "dev_el_f1": el_f1, "dev_ed_accuracy": ed})


def _drop_words(batch: Batch, singletons: torch.Tensor, probability: float) -> None:
    """Replace singleton training words by UNK at random, so the UNK vector learns to stand for rare words."""
    if probability <= 0:
        return
    is_singleton = singletons[batch.words]
    drop = is_singleton & (torch.rand(batch.words.shape) < probability)
    batch.words[drop] = 1


def _singleton_mask(model: JointModel, train: Sequence[Document]) -> torch.Tensor:
    words = model.vocabs["words"]
    mask = torch.zeros(len(words), dtype=torch.bool)
    for word in _singleton_words(train):
        mask[words.index(word)] = True
    mask[1] = False
    return mask


def _singleton_words(train: Sequence[Document]) -> set[str]:
    """Lower-cased words seen once in training: the ones word dropout replaces by UNK (Lample et al. §4.3)."""
    counts = Counter(
        token.lower() for document in train for sentence in document.sentences for token in sentence.tokens
    )
    return {word for word, count in counts.items() if count == 1}


def is_finished(history: Sequence[EpochResult], config: ModelConfig) -> bool:
    """Whether training with `config` is over after `history`: every epoch run, or (unless dev is trained on)
    `patience` epochs without a better dev score."""
    if len(history) >= config.epochs:
        return True
    return not config.train_with_dev and _patience_exhausted(history, config.patience, config.selection)


def _patience_exhausted(history: Sequence[EpochResult], patience: int, selection: str) -> bool:
    if not history:
        return False
    best = max(range(len(history)), key=lambda i: history[i].selection_score(selection))
    return len(history) - 1 - best >= patience


def _save_model(model: JointModel, directory: Path) -> None:
    with replaced_directory(directory) as temp:
        model.save(temp)


def _save_state(
    out_dir: Path, model: JointModel, optimizer, history: Sequence[EpochResult], average: WeightAverage | None
) -> None:
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "average": average.state_dict() if average is not None else None,
        "history": [asdict(result) for result in history],
        "random": (random.getstate(), np.random.get_state(), torch.get_rng_state()),
    }
    save_checkpoint(out_dir / "checkpoint.pt", state)
    write_atomic(out_dir / "history.json", (json.dumps(state["history"], indent=2) + "\n").encode())
    plot_history(history, out_dir / "training_curve.png")


def _restore(
    state: dict, out_dir: Path, model: JointModel, optimizer, average: WeightAverage | None
) -> list[EpochResult]:
    """Put the checkpoint's weights, optimizer, average and random states back; the history so far."""
    remedy = f"resume with the options the run began with ({out_dir / 'model' / 'config.json'}), or {RESTART}"
    check_fits(model, state["model"], out_dir / "checkpoint.pt", remedy)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if average is not None and state.get("average") is not None:  # None: a checkpoint of a run without one
        average.load_state_dict(state["average"])
    python_state, numpy_state, torch_state = state["random"]
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    torch.set_rng_state(torch_state)
    return [EpochResult(**row) for row in state["history"]]


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
