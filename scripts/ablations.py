"""Every ablation against the reproduction, seed for seed: what each config change moved.

Reads `results/<name>/<variant>-seed<N>.json` (written by `reproduce.py --name NAME`) and the same variant and seed
of `results/reproduce/`, and writes the RESULTS.md section `ablations`: per ablation and variant, the config
fields that differ from the reproduction's, the seeds both have, and the mean difference of each score (points;
positive = the ablation is better). Only seeds present on both sides count, so the differences are paired.

    .venv/bin/python scripts/ablations.py [--results results] [--out RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from bookkeeping import is_scored, points

from jointel.cli import run_header, write_section
from jointel.model import saved_values

BASELINE = "reproduce"
# (column, split/protocol, metric): the scores the paper's table and the targets are about
COLUMNS = (
    ("NER testa", "testa/ppr", "ner"),
    ("NER testb", "testb/ppr", "ner"),
    ("EL testa ppr", "testa/ppr", "el"),
    ("EL testb ppr", "testb/ppr", "el"),
    ("EL testb realistic", "testb/realistic", "el"),
    ("ED testb ppr", "testb/ppr", "ed"),
)


def changed_fields(result: dict, baseline: dict) -> str:
    """The config fields that differ from the reproduction's run (the seed aside), as `field=value`; a field the
    reproduction's config predates had the value its runs were made with (`saved_values`)."""
    ours, theirs = result.get("config", {}), saved_values(baseline.get("config", {}))
    changes = [f"{key}={value}" for key, value in ours.items() if key != "seed" and theirs.get(key) != value]
    return ", ".join(changes) or "–"


def rows(results_dir: Path) -> list[str]:
    baseline = {(r["variant"], r["seed"]): r for r in _load(results_dir / BASELINE)}
    lines = []
    for directory in sorted(path for path in results_dir.iterdir() if path.is_dir() and path.name != BASELINE):
        by_variant: dict[str, list[tuple[dict, dict]]] = {}
        for result in _load(directory):
            paired = baseline.get((result["variant"], result["seed"]))
            if paired is not None and "config" in result:
                by_variant.setdefault(result["variant"], []).append((result, paired))
        for variant, pairs in sorted(by_variant.items()):
            cells = []
            for _, where, metric in COLUMNS:
                if not is_scored(variant, metric):
                    cells.append("–")
                    continue
                deltas = [
                    points(result["scores"][where], metric) - points(paired["scores"][where], metric)
                    for result, paired in pairs
                ]
                cells.append(f"{statistics.mean(deltas):+.2f}")
            seeds = ",".join(str(result["seed"]) for result, _ in sorted(pairs, key=lambda pair: pair[0]["seed"]))
            change = changed_fields(*pairs[0])
            lines.append(f"| {directory.name} | {variant} | {change} | {seeds} | " + " | ".join(cells) + " |")
    return lines


def _load(directory: Path) -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*-seed*.json"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    arguments = parser.parse_args()
    header = "| ablation | variant | config change | seeds | " + " | ".join(c for c, _, _ in COLUMNS) + " |"
    text = "\n".join(
        [
            "## Ablations at a glance: difference from the reproduction, same variant and seeds",
            "",
            run_header(),
            "Points, mean over the seeds both runs have (paired); positive = the change helps. Each ablation's own",
            "section below has its absolute scores. testa is the dev split every choice was made on.",
            "",
            header,
            "|" + "---|" * (4 + len(COLUMNS)),
            *rows(arguments.results),
        ]
    )
    print(text)
    write_section(arguments.out, "ablations", text)


if __name__ == "__main__":
    main()
