"""Seed ensembles: the seeds of one configuration and variant decoding and linking as one model (`Ensemble`).

Each ensemble is the trained models `runs/<name>/<variant>-seed<N>/model` of the seeds given; its scores (testa and
testb under both protocols, as `reproduce.py` scores a run) go to `results/ensembles/<name>-<variant>.json`, which
is committed, and an ensemble with a result is skipped unless its members changed. The RESULTS.md section
`ensembles` sets each ensemble beside the mean and the best of its members (their `reproduce.py` results).

    .venv/bin/python scripts/ensembles.py [--ensembles accurate-ppr/joint accurate/ner …] [--seeds 1 2 3]
                                          [--table-only]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from bookkeeping import is_scored, points

from jointel.cli import default_cache_dir, default_kb_path, git_commit, resolve_data_dir, run_header, write_section
from jointel.data import load_corpus
from jointel.kb import KB
from jointel.model import Ensemble, JointModel

sys.path.insert(0, str(Path(__file__).parent))
from reproduce import score_model

DEFAULT = (
    "accurate-ppr/joint",
    "string-match/joint",
    "weight-average/joint",
    "weight-average/ner",
    "layer-mix/joint",
    "layer-mix/ner",
    "layer-mix-with-dev/joint",
    "accurate/joint",
    "accurate/ner",
)
COLUMNS = (  # (where, metric, header)
    ("testa/ppr", "ner", "NER testa"),
    ("testa/ppr", "el", "EL testa (PPR)"),
    ("testa/ppr", "el_no_nil", "EL testa (PPR, no NIL)"),
    ("testb/ppr", "ner", "NER testb"),
    ("testb/ppr", "el", "EL testb (PPR)"),
    ("testb/ppr", "el_no_nil", "EL testb (PPR, no NIL)"),
    ("testb/realistic", "el", "EL testb (realistic)"),
)


def members(runs: Path, name: str, variant: str, seeds: list[int]) -> list[Path]:
    return [runs / name / f"{variant}-seed{seed}" / "model" for seed in seeds]


def run_ensemble(name: str, variant: str, seeds: list[int], runs: Path, out: Path, corpus: dict, kb: KB) -> None:
    start = time.perf_counter()
    ensemble = Ensemble([JointModel.load(path) for path in members(runs, name, variant, seeds)])
    result = {
        "name": name,
        "variant": variant,
        "seeds": seeds,
        "commit": git_commit(),
        "scores": score_model(ensemble, corpus, kb),
        "seconds": time.perf_counter() - start,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


def cell(scores: dict, where: str, metric: str, variant: str) -> float | None:
    """A score in percent; None where it is missing or means nothing (the links of a NER-only model)."""
    if not is_scored(variant, metric):
        return None
    return points(scores[where], metric) if metric in scores.get(where, {}) else None


def table(results: Path) -> str:
    """Per ensemble: its scores, then its members' mean and best (by the same column) for comparison."""
    header = "| ensemble | seeds | row | " + " | ".join(title for _, _, title in COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(COLUMNS) + 3)]
    for path in sorted((results / "ensembles").glob("*.json")):
        result = json.loads(path.read_text())
        name, variant, seeds = result["name"], result["variant"], result["seeds"]
        member_scores = [
            json.loads(run.read_text())["scores"]
            for run in (results / name / f"{variant}-seed{seed}.json" for seed in seeds)
            if run.is_file()
        ]
        rows = [("ensemble", [cell(result["scores"], where, metric, variant) for where, metric, _ in COLUMNS])]
        per_column = [
            [cell(scores, where, metric, variant) for scores in member_scores] for where, metric, _ in COLUMNS
        ]
        per_column = [[value for value in values if value is not None] for values in per_column]
        rows.append(("members' mean", [statistics.mean(values) if values else None for values in per_column]))
        rows.append(("best member", [max(values) if values else None for values in per_column]))
        for label, values in rows:
            text = " | ".join("–" if value is None else f"{value:.2f}" for value in values)
            lines.append(f"| {name} {variant} | {','.join(map(str, seeds))} | {label} | {text} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ensembles", nargs="+", default=list(DEFAULT), help="NAME/VARIANT, e.g. accurate-ppr/joint")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    parser.add_argument("--table-only", action="store_true")
    arguments = parser.parse_args()
    if not arguments.table_only:
        corpus = load_corpus(resolve_data_dir(arguments.data_dir), default_cache_dir())
        with KB(arguments.kb or default_kb_path()) as kb:
            for spec in arguments.ensembles:
                name, variant = spec.split("/")
                out = arguments.results / "ensembles" / f"{name}-{variant}.json"
                if out.is_file() and json.loads(out.read_text())["seeds"] == arguments.seeds:
                    continue
                missing = [
                    path for path in members(arguments.runs, name, variant, arguments.seeds) if not path.is_dir()
                ]
                if missing:
                    print(f"skipping {spec}: no model at {', '.join(map(str, missing))}", file=sys.stderr)
                    continue
                print(f"scoring the ensemble {spec} of seeds {arguments.seeds}", file=sys.stderr)
                run_ensemble(name, variant, arguments.seeds, arguments.runs, out, corpus, kb)
    text = "\n".join(
        [
            "## Seed ensembles",
            "",
            run_header(),
            "The seeds of one configuration used as one model: at each greedy step the parsers' action probabilities",
            "are averaged and all take the winner; link probabilities are averaged too (`jointel ensemble`). They",
            "share MiniLM's features, so the accurate ensemble costs little more than one model. Each ensemble is set",
            "beside its members' mean and its best member per column (the best differs by column). F1 in percent;",
            "testa chose whether to ensemble, testb is reported.",
            "",
            table(arguments.results),
        ]
    )
    print(text)
    write_section(arguments.out, "ensembles", text)


if __name__ == "__main__":
    main()
