"""Where we stand against the joint model's targets: every configuration's joint scores beside the target, and
joint minus single-task seed for seed (the paper's claim).

Reads `results/<name>/<variant>-seed<N>.json` (written by `reproduce.py --name NAME`) and the joint seed ensembles
of `results/ensembles/` (written by `ensembles.py`), and writes the RESULTS.md section `targets`. A configuration is
one results directory; its joint scores are the mean over its joint seeds, and each joint − single difference is
the mean over the seeds both variants have (paired); a configuration without NER-only runs shares those of one that
differs only in what they do not use (`ner_only_lenders`).

    .venv/bin/python scripts/targets.py [--results results] [--out RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable
from pathlib import Path

from bookkeeping import ner_only_lenders, paired_deltas, points, trained_with_dev

from jointel.cli import run_header, write_section

TEST = "testb/ppr"  # the paper's protocol (PPRforNED candidates) on the test split
# NER F1 and EL micro F1 on testb, both above the paper's 92.43 and 81.9; EL as predicted, or never NIL
TARGETS = {"ner": 92.5, "el": 83.0, "el_no_nil": 83.0}
# joint minus: the NER-only model on NER, the pipeline (NER-only spans + EL-only linker) on EL, EL-only on ED
SINGLE = (("ner", "ner"), ("pipeline", "el"), ("pipeline", "el_no_nil"), ("el", "ed"))


def load(directory: Path) -> dict[tuple[str, int], dict]:
    """(variant, seed) → its result (config, scores, …), for every finished run of one configuration."""
    runs = (json.loads(path.read_text()) for path in sorted(directory.glob("*-seed*.json")))
    return {(run["variant"], run["seed"]): run for run in runs}


def scores_with_shared_ner_only(configurations: dict[str, dict]) -> tuple[dict[str, dict], dict[str, str]]:
    """(variant, seed) → scores per configuration, NER-only runs shared where `ner_only_lenders` finds a lender."""
    lenders = ner_only_lenders(configurations)
    scores = {}
    for name, runs in configurations.items():
        scores[name] = {key: run["scores"] for key, run in runs.items()}
        if name in lenders:
            lent = configurations[lenders[name]].items()
            scores[name].update({key: run["scores"] for key, run in lent if key[0] == "ner"})
    return scores, lenders


def joint_mean(runs: dict[tuple[str, int], dict], where: str, metric: str) -> float | None:
    """Mean over the joint seeds scored on `metric` (runs older than a metric lack it)."""
    joint = [scores[where] for (variant, _), scores in runs.items() if variant == "joint"]
    values = [points(scores, metric) for scores in joint if metric in scores]
    return statistics.mean(values) if values else None


def joint_minus(runs: dict[tuple[str, int], dict], single: str, metric: str) -> tuple[float, int] | None:
    """Mean of joint − single over the seeds both have, and how many that is; None without a pair."""
    deltas = paired_deltas(runs, single, TEST, metric)
    return (statistics.mean(deltas), len(deltas)) if deltas else None


def target_cells(score: Callable[[str, str], float | None]) -> list[str]:
    """The NER, EL and never-NIL cells on testb (PPR) with their distance to the target, then realistic EL;
    `score(where, metric)` is None where there is no score."""
    cells = []
    for metric in ("ner", "el", "el_no_nil"):
        value = score(TEST, metric)
        cells.append("–" if value is None else f"{value:.2f} ({value - TARGETS[metric]:+.2f})")
    realistic = score("testb/realistic", "el")
    return [*cells, "–" if realistic is None else f"{realistic:.2f}"]


def row(name: str, runs: dict[tuple[str, int], dict], ner_from: str | None = None) -> str:
    seeds = ",".join(str(seed) for variant, seed in sorted(runs) if variant == "joint")
    cells = target_cells(lambda where, metric: joint_mean(runs, where, metric))
    for single, metric in SINGLE:
        delta = joint_minus(runs, single, metric)
        lender = f", {ner_from}'s NER-only" if single == "ner" and ner_from else ""
        cells.append("–" if delta is None else f"{delta[0]:+.2f} (n={delta[1]}{lender})")
    return f"| {name} | {seeds or '–'} | " + " | ".join(cells) + " |"


def best(configurations: dict[str, dict], metric: str) -> str:
    """The configuration whose joint model scores highest on `metric`, and its gap to the target."""
    scored = [(joint_mean(runs, TEST, metric), name) for name, runs in configurations.items()]
    scored = [(mean, name) for mean, name in scored if mean is not None]
    if not scored:
        return "no joint run scored on it yet"
    mean, name = max(scored)
    seeds = sum(variant == "joint" and metric in scores[TEST] for (variant, _), scores in configurations[name].items())
    return f"best joint: {name}, {mean:.2f} over {seeds} seed{'s' * (seeds > 1)} ({verdict(mean, metric)})"


def partition(mapping: dict, inside: Callable[[object], bool]) -> tuple[dict, dict]:
    """The items whose key is not `inside`, then those whose key is."""
    return {k: v for k, v in mapping.items() if not inside(k)}, {k: v for k, v in mapping.items() if inside(k)}


def labelled(name: str, with_dev: frozenset[str]) -> str:
    return f"{name} (trained on train + testa)" if name in with_dev else name


def verdict(value: float, metric: str) -> str:
    return "reached" if value >= TARGETS[metric] else f"{TARGETS[metric] - value:.2f} points short"


def load_ensembles(directory: Path) -> dict[tuple[str, str], dict]:
    """(configuration, variant) → result, for the ensembles `ensembles.py` scored."""
    results = (json.loads(path.read_text()) for path in sorted(directory.glob("*.json")))
    return {(result["name"], result["variant"]): result for result in results}


def ensemble_name(result: dict, with_dev: frozenset[str] = frozenset()) -> str:
    return f"{labelled(result['name'], with_dev)} ensemble of seeds {','.join(map(str, result['seeds']))}"


def best_ensemble(ensembles: dict[tuple[str, str], dict], metric: str) -> str:
    joint = [result for (_, variant), result in ensembles.items() if variant == "joint"]
    scored = [(points(r["scores"][TEST], metric), ensemble_name(r)) for r in joint if metric in r["scores"][TEST]]
    if not scored:
        return "no ensemble scored on it yet"
    value, name = max(scored)
    return f"best ensemble: {name}, {value:.2f} ({verdict(value, metric)})"


def ensemble_row(result: dict, ner_only: dict | None, with_dev: frozenset[str]) -> str:
    """A joint ensemble's row; NER: joint − NER-only against the ensemble of the same seeds' NER-only models."""
    scores = result["scores"]
    cells = target_cells(lambda where, metric: points(scores[where], metric) if metric in scores[where] else None)
    ner = "–"
    if ner_only is not None and ner_only["seeds"] == result["seeds"]:
        delta = points(scores[TEST], "ner") - points(ner_only["scores"][TEST], "ner")
        ner = f"{delta:+.2f} (ensembles; {ner_only['name']}'s NER-only)"
    return f"| {ensemble_name(result, with_dev)} | one model | " + " | ".join(cells) + f" | {ner} | – | – | – |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    arguments = parser.parse_args()
    found = {path.name: load(path) for path in sorted(arguments.results.iterdir()) if path.is_dir() and load(path)}
    configurations, lenders = scores_with_shared_ner_only(found)
    ensembles = load_ensembles(arguments.results / "ensembles")
    # trained on testa too: another protocol, so not counted toward the targets
    with_dev = frozenset(name for name, runs in found.items() if trained_with_dev(runs.values()))
    counted, other = partition(configurations, lambda name: name in with_dev)
    counted_ensembles, other_ensembles = partition(ensembles, lambda key: key[0] in with_dev)
    text = "\n".join(
        [
            "## Targets: where we stand",
            "",
            run_header(),
            f"Targets: NER F1 on CoNLL testb ≥ {TARGETS['ner']} (the paper: 92.43); EL strong-match micro F1 on",
            f"AIDA-B ≥ {TARGETS['el']} with PPRforNED candidates (the paper: 81.9); the joint model better than",
            "single-task on both, mean of 3 seeds. Joint columns: mean over the joint seeds (difference from the",
            "target). *No NIL*: the same predictions with every mention linked to its best candidate (InKB scoring",
            "ignores gold NIL mentions, so a NIL earns nothing there; chosen on testa, where it helps too). Joint −",
            "single: paired by seed, testb, PPR; positive = joint training helps. A configuration that differs from",
            "another only in what a NER-only model does not use (candidates, link features) shares that one's",
            "NER-only runs, as its NER cell says. Rows *ensemble of seeds*: those joint seeds used as one model",
            "(`jointel ensemble`, section *Seed ensembles*).",
            "",
            *(
                f"- {title}: {best(counted, metric)}; {best_ensemble(counted_ensembles, metric)}."
                for title, metric in (
                    (f"NER F1 testb ≥ {TARGETS['ner']}", "ner"),
                    (f"EL micro F1 testb ≥ {TARGETS['el']}", "el"),
                    ("EL never NIL", "el_no_nil"),
                )
            ),
            *(
                f"- Trained on train + testa (another protocol, not counted above), {title}: {best(other, metric)}; "
                f"{best_ensemble(other_ensembles, metric)}."
                for title, metric in (("NER F1 testb", "ner"), ("EL micro F1 testb", "el"))
                if other
            ),
            "",
            "| configuration | joint seeds | NER F1 testb | EL F1 testb (PPR) | EL F1 testb (PPR, no NIL) | "
            "EL F1 testb (realistic) | NER: joint − NER-only | EL: joint − pipeline | EL no NIL: joint − pipeline | "
            "ED: joint − EL-only |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *(row(labelled(name, with_dev), runs, lenders.get(name)) for name, runs in configurations.items()),
            *(
                ensemble_row(
                    result, ensembles.get((name, "ner")) or ensembles.get((lenders.get(name), "ner")), with_dev
                )
                for (name, variant), result in ensembles.items()
                if variant == "joint"
            ),
        ]
    )
    print(text)
    write_section(arguments.out, "targets", text)


if __name__ == "__main__":
    main()
