"""Results bookkeeping of the scripts: the headline figures of a scores dictionary, which variant each counts for,
joint minus single-task seed for seed, and which configurations share their NER-only runs.

The scorers stay in the package (`jointel.evaluate.score_corpus`, `CorpusScores.to_dict()`); this module reads the
dictionaries they write into `results/`. Scripts run from the repository root (`.venv/bin/python scripts/NAME.py`),
so it is imported as `bookkeeping`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from jointel.model import saved_values

# Settings a NER-only model does not use: it trains no linker (so reads no candidates or links), and picks its epoch
# by NER alone whatever `selection` says. Configurations that differ only in these share their NER-only runs.
NOT_FOR_NER_ONLY = frozenset(
    {"seed", "el_weight", "selection", "candidate_protocol", "max_candidates"}
    | {"link_coherence", "link_isolation", "document_topic", "normalized_match"}
)

METRICS = ("ner", "el", "el_no_nil", "ed")  # the headline figures `points` reads
# What each variant's scores mean something on (a variant not named: all of METRICS). A NER-only model links with
# an untrained linker, an EL-only model is given the gold mentions (only its ED accuracy counts), and a pipeline has
# no ED of its own (its EL-only model's is that).
SCORED = {"ner": frozenset({"ner"}), "el": frozenset({"ed"}), "pipeline": frozenset({"ner", "el", "el_no_nil"})}


def is_scored(variant: str, metric: str) -> bool:
    """Whether `metric` of a `variant` (joint, ner, el, pipeline) belongs in a table."""
    return metric in SCORED.get(variant, METRICS)


def points(scores: dict, metric: str) -> float:
    """One headline figure, in percent, of a `CorpusScores.to_dict()` (or a `ModelEvaluation.to_dict()`): `ner`, `el`
    or `el_no_nil` micro F1, or `ed` accuracy. KeyError when the scores lack it (results older than the metric)."""
    if metric == "ed":
        return 100 * scores["ed"]["accuracy"]
    if metric in METRICS:
        return 100 * scores[metric]["micro"]["f1"]
    raise ValueError(f"unknown metric {metric!r}: expected ner, el, el_no_nil or ed")


def paired_deltas(by_run: dict[tuple[str, int], dict], single: str, where: str, metric: str) -> list[float]:
    """Joint minus `single` on `metric` (points) for every seed both have, from results keyed (variant, seed) whose
    values are their `scores` (by "split/protocol"); pairs where either side predates the metric are left out."""
    seeds = [seed for variant, seed in by_run if variant == "joint" and (single, seed) in by_run]
    pairs = [(by_run["joint", seed][where], by_run[single, seed][where]) for seed in seeds]
    return [
        points(joint, metric) - points(other, metric) for joint, other in pairs if metric in joint and metric in other
    ]


def trained_with_dev(runs: Iterable[dict]) -> bool:
    """Whether any of these results trained on testa too (`train_with_dev`), so that testa cannot score them;
    pipeline results, which train nothing, have no config."""
    return any(run.get("config", {}).get("train_with_dev") for run in runs)


def ner_only_lenders(configurations: Mapping[str, Mapping[tuple[str, int], dict]]) -> dict[str, str]:
    """Configuration → the configuration whose NER-only runs it shares, for each one with joint runs and none
    NER-only: the first that has NER-only runs and differs from it only in `NOT_FOR_NER_ONLY` settings (the
    accurate configuration trained on PPRforNED lists shares the accurate one's). Runs are results as
    `scripts/reproduce.py` writes them, keyed (variant, seed), each with its "config"."""
    lenders = {}
    for name, runs in configurations.items():
        joint = [run for (variant, _), run in runs.items() if variant == "joint"]
        if not joint or any(variant == "ner" for variant, _ in runs):
            continue
        for lender, theirs in configurations.items():
            ner = [run for (variant, _), run in theirs.items() if variant == "ner"]
            if ner and all(_ner_settings(run) == _ner_settings(joint[0]) for run in ner):
                lenders[name] = lender
                break
    return lenders


def _ner_settings(run: dict) -> dict:
    """The run's settings a NER-only model uses; settings its config predates take the value it was made with."""
    settings = saved_values(run["config"])
    return {key: value for key, value in settings.items() if key not in NOT_FOR_NER_ONLY}
