"""All scores of a corpus in one object (NER, end-to-end EL, ED, NIL), with a JSON-ready dictionary view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from jointel.data.documents import Document
from jointel.evaluate.el import EDScores, ELScores, ed_accuracy, el_scores, nil_scores
from jointel.evaluate.ner import NERScores, ner_scores_documents
from jointel.evaluate.parallel import check_parallel
from jointel.evaluate.prf import PRF
from jointel.model.config import saved_values

# Settings a NER-only model does not use: it trains no linker (so reads no candidates or links), and picks its epoch
# by NER alone whatever `selection` says. Configurations that differ only in these share their NER-only runs.
NOT_FOR_NER_ONLY = frozenset(
    {"seed", "el_weight", "selection", "nil_threshold", "candidate_protocol", "max_candidates"}
    | {"link_coherence", "link_isolation", "document_topic", "normalized_match"}
)


@dataclass(frozen=True)
class CorpusScores:
    """Every score of one prediction run; `ed` is meaningful only when predictions were made on gold mentions."""

    ner: NERScores
    el: ELScores
    ed: EDScores
    nil: PRF

    def to_dict(self) -> dict:
        """Counts and scores (in [0, 1]) as nested plain dictionaries, for `json.dump`."""
        return {
            "ner": {
                "micro": _prf_dict(self.ner.micro),
                "per_type": {label: _prf_dict(prf) for label, prf in self.ner.per_type.items()},
            },
            "el": el_dict(self.el),
            "ed": {"correct": self.ed.correct, "total": self.ed.total, "accuracy": self.ed.accuracy},
            "nil": _prf_dict(self.nil),
        }


def score_corpus(gold_docs: Sequence[Document], pred_docs: Sequence[Document]) -> CorpusScores:
    """Score predicted documents against parallel gold documents; raises ValueError if they are not parallel."""
    check_parallel(gold_docs, pred_docs)
    return CorpusScores(
        ner=ner_scores_documents(gold_docs, pred_docs),
        el=el_scores(gold_docs, pred_docs),
        ed=ed_accuracy(gold_docs, pred_docs),
        nil=nil_scores(gold_docs, pred_docs),
    )


def el_dict(el: ELScores) -> dict:
    return {
        "micro": _prf_dict(el.micro),
        "macro": {"precision": el.macro_precision, "recall": el.macro_recall, "f1": el.macro_f1},
        "n_documents": el.n_documents,
    }


def _prf_dict(prf: PRF) -> dict[str, float]:
    return {"tp": prf.tp, "fp": prf.fp, "fn": prf.fn, "precision": prf.precision, "recall": prf.recall, "f1": prf.f1}


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
