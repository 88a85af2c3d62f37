"""Training speed of the joint model: sentences/s measured directly, and wall time to convergence of the real runs.

Measured: the default `ModelConfig` (joint NER+EL) built the way `jointel train` builds it (GloVe words, vocabularies
and leave-one-out candidate features of the CoNLL train split from the KB), then `--batches` training steps of
`batch_size` sentences (collate, loss, backward, clip, Adam step; word dropout left out) after `--warm-up` steps,
on `--threads` torch threads; median of `--repeat` rounds. No model is trained to the end.
Read back: each run of `scripts/reproduce.py` (results/reproduce/*.json: epochs, train seconds, config) and, when
the run directory is still on this machine, its history.json (best dev epoch, sentences/s of each epoch).
Writes the `training` section of BENCHMARKS.md.

    .venv/bin/python benchmarks/training.py [--batches 100] [--repeat 3] [--threads 1] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import json
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch
from common import Timing, header, load_average, parser, publish, split_documents, thread_limit, time_rounds, verdict

from jointel.cli import REPO_ROOT, default_kb_path
from jointel.kb import KB
from jointel.model import (
    HeldOut,
    JointModel,
    KBAccess,
    ModelConfig,
    SentenceFeatures,
    TokenIds,
    build_vocabs,
    gold_features,
    length_batches,
    load_glove,
)

RESULTS = REPO_ROOT / "results" / "reproduce"
RUNS = REPO_ROOT / "runs" / "reproduce"
VARIANTS = ("joint", "ner", "el")


def training_model(config: ModelConfig, data_dir: Path | None, kb: KB) -> tuple[JointModel, list[SentenceFeatures]]:
    """A fresh model and the features of every train sentence, as `train_model` prepares them before epoch 1."""
    train = split_documents("train", data_dir)
    access = KBAccess.for_model(kb, config.candidate_protocol, config)
    words, vectors = load_glove(config.max_pretrained_words)
    model = JointModel(config, build_vocabs(train, words, access.protocol.candidates))
    model.set_word_vectors(words, vectors)
    token_ids = TokenIds(model.vocabs["words"], model.vocabs["chars"])
    return model, gold_features(train, token_ids, access, held_out=HeldOut.under(kb, access.protocol))


def step_batches(features: list[SentenceFeatures], batch_size: int, count: int, seed: int) -> list[list[int]]:
    """`count` batches as an epoch draws them: similar lengths together, in shuffled order."""
    batches = list(length_batches([len(sentence.words) for sentence in features], batch_size))
    random.Random(seed).shuffle(batches)
    return batches[:count]


def train_steps(model: JointModel, features: list[SentenceFeatures], batches: list[list[int]]) -> None:
    """One optimiser step per batch, as an epoch of `jointel train` takes it."""
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=model.config.learning_rate)
    for indices in batches:
        parts = model.loss(model.batch([features[i] for i in indices]))
        optimizer.zero_grad()
        parts.total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), model.config.clip)
        optimizer.step()


@dataclass(frozen=True)
class Run:
    """One finished reproduction run: epochs trained, seconds of training epochs, best dev epoch if known."""

    variant: str
    seed: int
    epochs: int
    max_epochs: int
    patience: int
    train_seconds: float
    best_epoch: int | None
    seconds_to_best: float | None
    sentences_per_second: float | None

    @property
    def stopped_early(self) -> bool:
        """Stopped by patience rather than by the epoch cap (at the cap, both may hold: the best epoch says)."""
        if self.best_epoch is not None:
            return self.epochs - self.best_epoch >= self.patience
        return self.epochs < self.max_epochs


def read_run(path: Path) -> Run:
    result = json.loads(path.read_text())
    history_path = RUNS / path.stem / "history.json"
    history = json.loads(history_path.read_text()) if history_path.is_file() else []
    best = max(history, key=lambda row: row["dev_ner_f1"] + row["dev_el_f1"] + row["dev_ed_accuracy"], default=None)
    return Run(
        result["variant"],
        result["seed"],
        result["epochs"],
        result["config"]["epochs"],
        result["config"]["patience"],
        result["train_seconds"],
        best["epoch"] if best else None,
        sum(row["seconds"] for row in history[: best["epoch"]]) if best else None,
        statistics.mean(row["sentences_per_second"] for row in history) if history else None,
    )


def mean_spread(values: list[float], digits: int = 1, spread_digits: int | None = None) -> str:
    spread = digits if spread_digits is None else spread_digits
    return f"{statistics.mean(values):.{digits}f} ({min(values):.{spread}f}–{max(values):.{spread}f})"


def runs_table(runs: list[Run]) -> list[str]:
    """Per variant: mean (min–max) over seeds of epochs, minutes of training epochs, best epoch and minutes to it."""
    lines = [
        "| variant | seeds | epochs run | stopped by patience | training minutes | best dev epoch | "
        "minutes to best epoch | sentences/s in training |",
        "|---|---|---|---|---|---|---|---|",
    ]
    by_variant: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_variant[run.variant].append(run)
    for variant in VARIANTS:
        rows = sorted(by_variant.get(variant, []), key=lambda run: run.seed)
        if not rows:
            continue
        known = [run for run in rows if run.best_epoch is not None]
        lines.append(
            f"| {variant} | {', '.join(str(run.seed) for run in rows)} | "
            f"{mean_spread([run.epochs for run in rows], 1, 0)}, cap {rows[0].max_epochs} | "
            f"{sum(run.stopped_early for run in rows)} of {len(rows)} | "
            f"{mean_spread([run.train_seconds / 60 for run in rows])} | "
            + (
                f"{mean_spread([run.best_epoch for run in known], 1, 0)} | "
                f"{mean_spread([run.seconds_to_best / 60 for run in known])} | "
                f"{mean_spread([run.sentences_per_second for run in known], 0)} |"
                if known
                else "– | – | – |"
            )
        )
    return lines


@dataclass(frozen=True)
class Measured:
    """The timed training steps: their seconds, how many sentences and tokens they held, the train split's size."""

    timing: Timing
    steps: int
    sentences: int
    tokens: int
    train_sentences: int

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.timing.median


def report(args, note: str, measured: Measured, runs: list[Run], load_at_start: str) -> list[str]:
    rate = measured.sentences_per_second
    joint = [run for run in runs if run.variant == "joint"]
    joint_minutes = statistics.mean(run.train_seconds / 60 for run in joint) if joint else float("nan")
    return [
        "## Training: speed and wall time to convergence",
        "",
        header(str(args.threads), load_at_start),
        f"Measured now: the default `ModelConfig` (joint NER+EL), {measured.steps} training steps of "
        f"{ModelConfig().batch_size} sentences drawn as an epoch draws them ({measured.sentences:,} sentences, "
        f"{measured.tokens:,} tokens) after {args.warm_up} warm-up steps; median (min–max) of {args.repeat} rounds: "
        f"{measured.timing} s, that is **{rate:,.0f} sentences/s** ({measured.tokens / measured.timing.median:,.0f} "
        f"tokens/s). At this speed one epoch over the {measured.train_sentences:,} CoNLL train sentences takes "
        f"{measured.train_sentences / rate / 60:.1f} minutes (dev evaluation not included).",
        f"Threads: {note}.",
        "",
        "Read back from the reproduction runs (`scripts/reproduce.py`, one torch thread per run; the result files do "
        "not record how many ran side by side, `make reproduce` runs two): mean (min–max) over seeds. Training "
        "minutes sum the epochs' training loops (dev evaluation excluded); the best dev epoch is the one whose model "
        "was kept, and training stops after `patience` epochs without a better one; sentences/s is the runs' own "
        "per-epoch figure. Best epoch and sentences/s need the run directories (`runs/reproduce/`), which stay on "
        "the machine that trained them.",
        "",
        *runs_table(runs),
        "",
        'Target: the project\'s claim that the model "trains in minutes" on a CPU; the issue sets no number, read '
        f"here as under 60 minutes of training on one thread. Joint model: **{joint_minutes:.1f} minutes** "
        f"({verdict(joint_minutes, 60.0, False, ' minutes')}).",
    ]


def main() -> None:
    arguments = parser(__doc__, repeat=3)
    arguments.add_argument("--batches", type=int, default=100, help="timed training steps per round")
    arguments.add_argument("--warm-up", type=int, default=5, help="untimed steps before the rounds")
    arguments.add_argument("--threads", type=int, default=1)
    arguments.add_argument("--kb", type=Path, default=None, help="default: the training KB, cache/kb.sqlite")
    args = arguments.parse_args()
    load_at_start = load_average()
    config = ModelConfig()
    with KB(args.kb or default_kb_path()) as kb:
        model, features = training_model(config, args.data_dir, kb)
    batches = step_batches(features, config.batch_size, args.warm_up + args.batches, config.seed)
    sentences = sum(len(batch) for batch in batches[args.warm_up :])
    tokens = sum(len(features[i].words) for batch in batches[args.warm_up :] for i in batch)
    with thread_limit(args.threads) as note:
        train_steps(model, features, batches[: args.warm_up])
        steps = {"steps": lambda: train_steps(model, features, batches[args.warm_up :])}
        timing = time_rounds(steps, args.repeat, warm_up=False)["steps"]
    runs = [read_run(path) for path in sorted(RESULTS.glob("*-seed*.json")) if path.stem.split("-")[0] in VARIANTS]
    measured = Measured(timing, len(batches) - args.warm_up, sentences, tokens, len(features))
    publish(args.out, "training", report(args, note, measured, runs, load_at_start))


if __name__ == "__main__":
    main()
