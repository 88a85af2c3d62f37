"""Models trained on the Wikipedia KB beside the shipped one: AIDA testa and the sentences about unseen entities.

    .venv/bin/python scripts/wikipedia_training.py [--out RESULTS.md]

Each variant is a training run of its own (the table prints its command; run it first), scored once: calibrated on
testa if it has no NIL threshold yet (`jointel calibrate --protocol wikipedia`), evaluated on testa with the
Wikipedia KB as annotation reads it, and run on tests/fixtures/wikipedia_regression.jsonl. Scores go to
`runs/wikipedia/scores/VARIANT.json`; a variant that has them is not scored again (but the shipped model), so the
table fills up across sessions. testb is never read here: variants are chosen on testa and the sentences.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jointel
from jointel.annotate import BUNDLED_MODEL
from jointel.cli import REPO_ROOT, default_wikipedia_kb_path, run_header, write_section
from jointel.data import write_atomic
from jointel.evaluate import read_link_cases, score_link_cases
from jointel.model import ModelConfig, load_nil_threshold
from jointel.train import EpochResult, is_finished

CASES = REPO_ROOT / "tests" / "fixtures" / "wikipedia_regression.jsonl"
JOINTEL = Path(sys.executable).parent / "jointel"
TRAIN = "jointel train --kb .cache/kb-wikipedia.sqlite --config"


SCORES = REPO_ROOT / "runs" / "wikipedia" / "scores"


@dataclass(frozen=True)
class Variant:
    name: str
    model: Path
    command: str
    what: str


VARIANTS = (
    Variant("bundle", BUNDLED_MODEL, "(shipped)", "the shipped model"),
    Variant(
        "bundle of 2026-12-01",
        REPO_ROOT / "runs/wikipedia/bundle-2026-12-01/model",
        "(a copy of jointel/models/default of commit 70c720a)",
        "AIDA KB, realistic protocol, NIL from the mention",
    ),
    Variant(
        "AIDA KB, label NIL",
        REPO_ROOT / "runs/wikipedia/aida-label-nil/model",
        "jointel train --kb .cache/kb.sqlite --config configs/link-isolation.json --no-nil-from-mention "
        "--out runs/wikipedia/aida-label-nil",
        "the bundle's settings (AIDA KB, realistic protocol), NIL by label",
    ),
    Variant(
        "wikipedia",
        REPO_ROOT / "runs/wikipedia/joint-seed1/model",
        f"{TRAIN} configs/wikipedia.json --out runs/wikipedia/joint-seed1",
        "the bundle's settings, Wikipedia KB and protocol",
    ),
    Variant(
        "name-only, 7 epochs",
        REPO_ROOT / "runs/wikipedia/name-only-0.3/model",
        f"{TRAIN} configs/wikipedia-name-only.json --nil-from-mention --out runs/wikipedia/name-only-0.3",
        "+ 30% of gold shown as name-only, no NIL loss on an exact name-only title (stopped after 7 epochs)",
    ),
    Variant(
        "label NIL",
        REPO_ROOT / "runs/wikipedia/label-nil-plain/model",
        f"{TRAIN} configs/wikipedia-name-only.json --name-only-rate 0 --name-only-nil keep "
        "--out runs/wikipedia/label-nil-plain",
        "the bundle's settings, Wikipedia KB and protocol, NIL by label",
    ),
    Variant(
        "label NIL, name-only, exact",
        REPO_ROOT / "runs/wikipedia/label-nil/model",
        f"{TRAIN} configs/wikipedia-name-only.json --out runs/wikipedia/label-nil",
        "+ 30% of gold shown as name-only, no NIL loss on an exact name-only title",
    ),
    Variant(
        "label NIL, name-only, any",
        REPO_ROOT / "runs/wikipedia/label-nil-any/model",
        f"{TRAIN} configs/wikipedia-name-only.json --name-only-nil any --out runs/wikipedia/label-nil-any",
        "+ 30% of gold shown as name-only, no NIL loss with any name-only candidate",
    ),
    Variant(
        "mention NIL, name-only, any",
        REPO_ROOT / "runs/wikipedia/mention-nil-any/model",
        f"{TRAIN} configs/wikipedia-name-only.json --name-only-nil any --nil-from-mention "
        "--out runs/wikipedia/mention-nil-any",
        "the same, NIL from the mention",
    ),
)


def scores(variant: Variant, kb: Path) -> dict | None:
    """The variant's scores, computed once (None if it has not been trained)."""
    model, path = variant.model, SCORES / f"{variant.name.replace(' ', '').replace(',', '-')}.json"
    if path.is_file() and model != BUNDLED_MODEL:  # the shipped model changes with each bundle: scored every time
        return json.loads(path.read_text())
    if not _is_trained(model):
        return None
    if load_nil_threshold(model) is None:
        _jointel("calibrate", "--model", model, "--kb", kb, "--protocol", "wikipedia")
    with tempfile.TemporaryDirectory() as temp:
        out = Path(temp) / "testa.json"
        _jointel("evaluate", "--model", model, "--kb", kb, "--split", "testa", "--protocol", "wikipedia", "--out", out)
        testa = json.loads(out.read_text())
    cases = read_link_cases(CASES)
    with jointel.load(model, kb) as annotator:
        outcomes = score_link_cases(cases, list(annotator.annotate_many(case.text for case in cases)))
    result = {
        "ner": testa["ner"]["micro"]["f1"],
        "el": testa["el"]["micro"]["f1"],
        "ed": testa["ed"]["accuracy"],
        "nil": testa["nil"]["f1"],
        "right": sum(outcome.right for outcome in outcomes),
        "links": len(outcomes),
    }
    write_atomic(path, (json.dumps(result, indent=2) + "\n").encode())
    return result


def _is_trained(model: Path) -> bool:
    """A saved model whose training is over: a run's model/ changes while it trains; a bundle has no history."""
    if not (model / "weights.pt").is_file():
        return False
    history = model.parent / "history.json"
    if not history.is_file():
        return True
    rows = [EpochResult(**row) for row in json.loads(history.read_text())]
    return is_finished(rows, ModelConfig.load(model / "config.json"))


def _jointel(*arguments: object) -> None:
    subprocess.run([str(JOINTEL), *map(str, arguments)], check=True, stdout=subprocess.DEVNULL)


def table(rows: list[tuple[Variant, dict | None]]) -> list[str]:
    lines = [
        "| variant | what | testa NER F1 | EL F1 | ED acc | NIL F1 | sentences: links right |",
        "|---|---|---|---|---|---|---|",
    ]
    for variant, row in rows:
        if row is None:
            pending = f"not trained (or still training): `{variant.command}`"
            lines.append(f"| {variant.name} | {variant.what} | {pending} | | | | |")
            continue
        figures = " | ".join(f"{100 * row[name]:.2f}" for name in ("ner", "el", "ed", "nil"))
        lines.append(f"| {variant.name} | {variant.what} | {figures} | {row['right']} of {row['links']} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None, help="default: the Wikipedia KB in the cache")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    kb = args.kb or default_wikipedia_kb_path()
    rows = [(variant, scores(variant, kb)) for variant in VARIANTS]
    lines = [
        "### Training on the Wikipedia KB",
        "",
        run_header(),
        "Every variant is scored with the Wikipedia KB as annotation reads it (`wikipedia` protocol), its NIL "
        "threshold calibrated on testa; EL is strong-match micro F1 (InKB), ED accuracy on gold mentions. "
        "Sentences: the 91 expected links of tests/fixtures/wikipedia_regression.jsonl. Commands (from the repo "
        "root, `.venv/bin/`; the bundle's settings are `configs/link-isolation.json`): "
        + "; ".join(f"{v.name}: `{v.command}`" for v in VARIANTS if not v.command.startswith("(")),
        "",
        *table(rows),
    ]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        write_section(args.out, "wikipedia-training", text)


if __name__ == "__main__":
    main()
