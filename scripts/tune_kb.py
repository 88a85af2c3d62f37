"""Tune the realistic prior's weights (jointel.kb.PriorWeights) by candidate recall@1 on testa (dev) only.

Coordinate ascent: each weight in turn is set to the best value of its grid with the others held, for a few
rounds; every KB is built into a temporary directory. Prints every point tried (testa recall@1 and @30 for the
realistic protocol, recall@1 for the PPR protocol, whose order also follows the prior) and the best one.
testb is never read for tuning.

    .venv/bin/python scripts/tune_kb.py [--data-dir DIR] [--rounds 2]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import platform
import subprocess
import tempfile
from pathlib import Path

from jointel.cli import default_cache_dir, resolve_data_dir
from jointel.data import Corpus, load_corpus
from jointel.kb import KB, PriorWeights, build_kb, candidate_recall

GRID = {
    "title": (0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
    "stem": (0.0, 0.125, 0.25, 0.5, 1.0, 2.0),
    "surname": (0.0, 0.125, 0.25, 0.5, 1.0, 2.0),
    "ppr": (0.0, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0),
}


def score(weights: PriorWeights, corpus: Corpus, data_dir: Path, work: Path) -> tuple[float, float, float]:
    """(realistic recall@1, realistic recall@30, PPR recall@1) on testa for a KB built with `weights`."""
    path = work / "kb.sqlite"
    build_kb(corpus, data_dir, path, weights)
    with KB(path) as kb:
        realistic = candidate_recall(kb, corpus["testa"], "realistic", ks=(1, 30))
        ppr = candidate_recall(kb, corpus["testa"], "ppr", ks=(1,))
    return realistic.recall[1], realistic.recall[30], ppr.recall[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    data_dir = resolve_data_dir(args.data_dir)
    corpus = load_corpus(data_dir, default_cache_dir())
    print(_header())
    best = PriorWeights()
    seen: dict[PriorWeights, tuple[float, float, float]] = {}
    with tempfile.TemporaryDirectory() as work:
        for round_number in range(1, args.rounds + 1):
            for name, grid in GRID.items():
                for value in grid:
                    weights = dataclasses.replace(best, **{name: value})
                    if weights not in seen:
                        seen[weights] = score(weights, corpus, data_dir, Path(work))
                        r1, r30, ppr1 = seen[weights]
                        print(
                            f"round {round_number} {_show(weights)}  R@1 {r1:.4f}  R@30 {r30:.4f}  PPR R@1 {ppr1:.4f}"
                        )
                best = max((w for w in seen if _differs_only_in(w, best, name)), key=lambda w: seen[w])
            print(f"after round {round_number}: {_show(best)} {seen[best]}")
    r1, r30, ppr1 = seen[best]
    print(f"best on testa: {_show(best)}  realistic R@1 {r1:.4f} R@30 {r30:.4f}  PPR R@1 {ppr1:.4f}")


def _differs_only_in(weights: PriorWeights, reference: PriorWeights, name: str) -> bool:
    others = {field.name for field in dataclasses.fields(PriorWeights)} - {name}
    return all(getattr(weights, other) == getattr(reference, other) for other in others)


def _show(weights: PriorWeights) -> str:
    return " ".join(f"{key}={value:g}" for key, value in dataclasses.asdict(weights).items())


def _header() -> str:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return (
        f"# scripts/tune_kb.py  {datetime.datetime.now().isoformat(timespec='seconds')}  commit {commit or '?'}  "
        f"python {platform.python_version()}  nproc {os.cpu_count()}"
    )


if __name__ == "__main__":
    main()
