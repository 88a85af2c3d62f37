"""Reproduce the paper's table: joint vs NER-only vs EL-only (and their pipeline), seeds, both candidate protocols.

Each run trains one variant with one seed into `runs/reproduce/<variant>-seed<N>/` (checkpoints, model; not kept in
git) and writes its scores (testa and testb under both protocols, training time) to
`results/reproduce/<variant>-seed<N>.json`, which is committed. Runs with a result are skipped, so the table fills
up across sessions; a stopped run resumes from its checkpoint when the machine still has it. `--jobs 2` trains two
runs side by side (one thread each). The pipeline row needs the NER-only and EL-only models of its seed on disk.
The RESULTS.md section `reproduction` is rewritten from whatever results exist, mean ± std over seeds.

    .venv/bin/python scripts/reproduce.py [--seeds 1 2 3] [--variants joint ner el] [--jobs 2] [--table-only]
                                          [--rescore]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import torch
from bookkeeping import METRICS, is_scored, paired_deltas, points, trained_with_dev

from jointel.cli import (
    default_cache_dir,
    default_contextual_cache,
    default_kb_path,
    git_commit,
    resolve_data_dir,
    run_header,
    write_section,
)
from jointel.data import load_corpus
from jointel.evaluate import el_dict, el_scores_no_nil, evaluate_model, predicted_documents, score_corpus
from jointel.kb import KB
from jointel.model import ContextualSource, JointModel, KBAccess, ModelConfig, link_given_spans, predict_documents
from jointel.train import train_model

VARIANTS = {
    "joint": {},
    "ner": {"el_weight": 0.0},  # NER only: the linking loss is off
    "el": {"ner_weight": 0.0},  # EL only: linking gold mentions, same encoder
}
ROWS = (*VARIANTS, "pipeline")  # pipeline: NER-only spans linked by the EL-only model (no training of its own)
PROTOCOLS = ("ppr", "realistic")
SPLITS = ("testa", "testb")
PAPER = {"ner_testb": 92.43, "el_testa": 85.2, "el_testb": 81.9, "lample_ner_testb": 90.33}


def result_path(results: Path, variant: str, seed: int) -> Path:
    return results / f"{variant}-seed{seed}.json"


def run_one(
    variant: str, seed: int, base: dict, root: Path, results: Path, data_dir: Path, kb_path: Path, commit: str
) -> Path:
    """Train one variant/seed (resuming a stopped run) and write its result; `commit` is the code's."""
    torch.set_num_threads(1)
    out = root / f"{variant}-seed{seed}"
    config = dataclasses.replace(ModelConfig(**base), seed=seed, **VARIANTS[variant])
    corpus = load_corpus(data_dir, default_cache_dir())
    start = time.perf_counter()
    with KB(kb_path) as kb:
        resume = (out / "checkpoint.pt").is_file()
        cache = default_contextual_cache()
        history = train_model(config, corpus["train"], corpus["testa"], kb, out, resume=resume, contextual_cache=cache)
        scores = score_model(load_remembering(out / "model"), corpus, kb)
    result = {
        "variant": variant,
        "seed": seed,
        "config": dataclasses.asdict(config),
        "epochs": len(history),
        "train_seconds": sum(row.seconds for row in history),
        "wall_seconds_this_session": time.perf_counter() - start,
        "commit": commit,
        "scores": scores,
    }
    return _write(result_path(results, variant, seed), result)


def load_remembering(directory: Path) -> JointModel:
    """The model saved in `directory`, its contextual vectors (if it reads them) remembered and cached on disk:
    MiniLM reads each split once, if at all."""
    config = ModelConfig.load(directory / "config.json", saved_model=True)
    source = ContextualSource.for_config(config, default_contextual_cache(), remember=True, directory=directory)
    return JointModel.load(directory, source)


def score_model(model: JointModel, corpus: dict, kb: KB) -> dict:
    """Scores of testa and testb under both protocols (`evaluate_model`, as `jointel evaluate` reports them)."""
    return {
        f"{split}/{protocol}": evaluate_model(model, corpus[split], kb, protocol).to_dict()
        for split in SPLITS
        for protocol in PROTOCOLS
    }


def rescore(root: Path, results: Path, data_dir: Path, kb_path: Path) -> list[Path]:
    """Score again the finished runs whose model is still on disk and whose result lacks a metric added since
    (`el_no_nil`); the pipeline too when both its models are there. The rest of each result is kept."""
    corpus, done, commit = load_corpus(data_dir, default_cache_dir()), [], git_commit()
    with KB(kb_path) as kb:
        for path in sorted(results.glob("*-seed*.json")):
            result = json.loads(path.read_text())
            if result["variant"] == "ner" or all("el_no_nil" in scores for scores in result["scores"].values()):
                continue  # the NER-only model links nothing worth scoring
            variant, seed = result["variant"], result["seed"]
            if variant == "pipeline":
                if all((root / f"{v}-seed{seed}" / "model").is_dir() for v in ("ner", "el")):
                    done.append(run_pipeline(seed, root, results, data_dir, kb_path, commit))
                continue
            model = root / f"{variant}-seed{seed}" / "model"
            if model.is_dir():
                scores = score_model(load_remembering(model), corpus, kb)
                done.append(_write(path, {**result, "scores": scores, "rescored_by_commit": commit}))
    return done


def _write(path: Path, result: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


def run_pipeline(seed: int, root: Path, results: Path, data_dir: Path, kb_path: Path, commit: str) -> Path:
    """The single-task pipeline for end-to-end EL: NER-only model's spans, linked by the EL-only model."""
    ner, el = load_remembering(root / f"ner-seed{seed}" / "model"), load_remembering(root / f"el-seed{seed}" / "model")
    corpus = load_corpus(data_dir, default_cache_dir())
    scores = {}
    with KB(kb_path) as kb:
        for split in SPLITS:
            for protocol in PROTOCOLS:
                access = KBAccess.for_model(kb, protocol, el.config)
                spans = predict_documents(ner, corpus[split], access)
                linked = link_given_spans(el, spans, access)  # once: never NIL is read off the same predictions
                scores[f"{split}/{protocol}"] = {
                    **score_corpus(corpus[split], predicted_documents(spans, linked)).to_dict(),
                    "el_no_nil": el_dict(el_scores_no_nil(corpus[split], linked)),
                }
    result = {"variant": "pipeline", "seed": seed, "commit": commit, "train_seconds": 0.0, "scores": scores}
    return _write(result_path(results, "pipeline", seed), result)


def mean_std(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}"


def values(runs: list[dict], where: str, metric: str) -> list[float]:
    """The runs' scores (percent), leaving out runs older than the metric."""
    return [points(run["scores"][where], metric) for run in runs if metric in run["scores"][where]]


def table(results: list[dict]) -> str:
    """Markdown: per variant, mean ± std over seeds of NER F1, EL micro F1 (as predicted, and never NIL) and ED
    accuracy (percent)."""
    lines = [
        "| variant | seeds | protocol | NER F1 testa | NER F1 testb | EL F1 testa | EL F1 testb | EL F1 no NIL testa | "
        "EL F1 no NIL testb | ED acc testa | ED acc testb |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for variant in ROWS:
        runs = [result for result in results if result["variant"] == variant]
        for protocol in PROTOCOLS:
            cells = [
                mean_std(values(runs, f"{split}/{protocol}", metric)) if is_scored(variant, metric) else "–"
                for metric in METRICS
                for split in SPLITS
            ]
            seeds = ",".join(str(run["seed"]) for run in runs) or "–"
            lines.append(f"| {variant} | {seeds} | {protocol} | " + " | ".join(cells) + " |")
    paper = f"{PAPER['ner_testb']} | {PAPER['el_testa']} | {PAPER['el_testb']} | | | | |"
    lines.append(f"| paper (joint) | | ppr | | {paper}")
    lines.append(f"| Lample et al. 2016 Stack-LSTM | | | | {PAPER['lample_ner_testb']} | | | | | | |")
    return "\n".join(lines)


def joint_minus_single(results: list[dict]) -> str:
    """Markdown: the paper's claim in numbers — joint minus single-task, mean over the seeds both have."""
    pairs = (("ner", "ner"), ("pipeline", "el"), ("pipeline", "el_no_nil"), ("el", "ed"))
    lines = [
        "| protocol | split | NER F1: joint − NER-only | EL F1: joint − pipeline | EL F1 no NIL: joint − pipeline | "
        "ED acc: joint − EL-only |",
        "|---|---|---|---|---|---|",
    ]
    by_run = {(result["variant"], result["seed"]): result["scores"] for result in results}
    for protocol in PROTOCOLS:
        for split in SPLITS:
            cells = []
            for single, metric in pairs:
                deltas = paired_deltas(by_run, single, f"{split}/{protocol}", metric)
                cells.append(f"{statistics.mean(deltas):+.2f} (n={len(deltas)})" if deltas else "–")
            lines.append(f"| {protocol} | {split} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _training(results: list[dict]) -> str:
    if trained_with_dev(results):
        return "trains on train and testa for a fixed number of epochs, so its testa scores are on training data"
    return "trains on train and early-stops on testa"


def write_results(results_dir: Path, out: Path, name: str) -> None:
    results = [json.loads(path.read_text()) for path in sorted(results_dir.glob("*.json"))]
    minutes = [result["train_seconds"] / 60 for result in results if result["variant"] in VARIANTS]
    commits = sorted({result["commit"] for result in results})
    text = "\n".join(
        [
            f"## {'Reproduction' if name == 'reproduce' else 'Ablation ' + name}: joint vs single-task",
            "",
            run_header(),
            "NER: CoNLL-2003 micro F1 (conlleval). EL: AIDA end-to-end strong-match micro F1, InKB. ED: accuracy",
            f"of linking the gold mentions. Mean ± std over the seeds listed; each run {_training(results)}.",
            "*ppr* and *realistic* are the candidate protocols (README, Knowledge base); every model is evaluated",
            "under both.",
            "",
            table(results),
            "",
            "Positive = joint training helps (the paper's claim):",
            "",
            joint_minus_single(results),
            "",
            f"Runs trained from commit(s): {', '.join(commits) or '–'}.",
            f"Training time per run: {mean_std(minutes)} minutes on one CPU thread." if results else "",
        ]
    )
    print(text)
    write_section(out, "reproduction" if name == "reproduce" else name, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--config", type=Path, default=None, help="base ModelConfig JSON (default: defaults)")
    parser.add_argument("--name", default="reproduce", help="results/NAME/ and the RESULTS.md section (ablations)")
    parser.add_argument("--root", type=Path, default=None, help="training directories (default: runs/NAME)")
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    parser.add_argument("--table-only", action="store_true", help="only rewrite the table from finished runs")
    parser.add_argument("--rescore", action="store_true", help="score finished runs again for metrics added since")
    args = parser.parse_args()
    base = dataclasses.asdict(ModelConfig.load(args.config) if args.config else ModelConfig())
    root, results = args.root or Path("runs") / args.name, Path("results") / args.name
    todo = [
        (variant, seed)
        for seed in args.seeds
        for variant in args.variants
        if not result_path(results, variant, seed).is_file()
    ]
    data_dir, kb_path = resolve_data_dir(args.data_dir), args.kb or default_kb_path()
    if args.rescore:
        torch.set_num_threads(1)
        for path in rescore(root, results, data_dir, kb_path):
            print(f"rescored {path}", flush=True)
    if not args.table_only and todo:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            commit = git_commit()  # taken before training: commits made while it runs are not its code
            futures = [pool.submit(run_one, v, s, base, root, results, data_dir, kb_path, commit) for v, s in todo]
            for future in futures:
                print(f"finished {future.result()}", flush=True)
                write_results(results, args.out, args.name)
    for seed in args.seeds:
        models = all((root / f"{v}-seed{seed}" / "model" / "weights.pt").is_file() for v in ("ner", "el"))
        if not args.table_only and models and not result_path(results, "pipeline", seed).is_file():
            print(f"finished {run_pipeline(seed, root, results, data_dir, kb_path, git_commit())}")
    write_results(results, args.out, args.name)


if __name__ == "__main__":
    main()
