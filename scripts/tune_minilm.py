"""Tune MiniLM's first layers as a BIO tagger on AIDA train (`jointel.train.minilm`), chosen by tag F1 on testa.

    .venv/bin/python scripts/tune_minilm.py runs/minilm/depth2-seed1 [--depth 2] [--epochs 4] [--seed 1]

Writes `minilm.pt` (the tuned layers, for `contextual_tuned` in a model config) and `history.json` into the
directory. Reads the windows as a model with `contextual_read_share` 1.0 does.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import fields
from pathlib import Path

import torch
from tqdm import tqdm

from jointel.cli import default_cache_dir, resolve_data_dir
from jointel.data import load_corpus
from jointel.train import TuneConfig, tune_minilm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    for field in fields(TuneConfig):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=type(field.default), default=field.default)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    config = TuneConfig(**{field.name: getattr(args, field.name) for field in fields(TuneConfig)})
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    bar = tqdm(unit="window")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    tune_minilm(corpus["train"], corpus["testa"], args.out, config, progress)


if __name__ == "__main__":
    main()
