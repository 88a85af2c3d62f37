"""Score a shipped model bundle on testa and testb, written into RESULTS.md (section `shipped`, or
`shipped-accurate` for `--model accurate`).

The realistic protocol uses the bundle's own KB slice (what users get); the PPR protocol needs the PPRforNED lists,
which only the full KB holds (`jointel kb build`). NER F1 per type comes from the realistic run (NER does not read
candidates).

    .venv/bin/python scripts/shipped.py [--model default|accurate|DIR] [--kb .cache/kb.sqlite] [--section NAME]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jointel.annotate import model_directory
from jointel.cli import default_cache_dir, default_kb_path, resolve_data_dir, run_header, write_section
from jointel.data import load_corpus
from jointel.evaluate import NERScores, evaluate_model
from jointel.kb import KB
from jointel.model import JointModel, load_nil_bias, load_nil_threshold


def _shown(path: Path) -> Path:
    """The path relative to the working directory when it lies below it (no machine-specific prefix)."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def _threshold_note(threshold: float | None, bias: float) -> str:
    lowered = (
        f"NIL bias {bias:g} (NIL's log-odds lowered by it; chosen by `jointel calibrate`, on testa and, if given "
        "`--sentences`, on hand-made sentences of modern text)"
    )
    if threshold is None:
        return f"{lowered}; no NIL threshold: every link the model then chooses counts."
    return (
        f"{lowered}; NIL threshold {threshold:.4f} (chosen on testa, stored in the bundle): "
        "links less probable than it are NIL, as users get them; ED accuracy never predicts NIL, so it is unaffected."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a bundled model's name or a model directory")
    parser.add_argument("--section", default=None, help="default: shipped, or shipped-NAME for a bundled NAME")
    parser.add_argument("--kb", type=Path, default=None, help="full KB for the PPR protocol")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    directory = model_directory(args.model)
    section = args.section or ("shipped" if args.model == "default" else f"shipped-{args.model}")
    model = JointModel.load(directory)
    threshold, bias = load_nil_threshold(directory), load_nil_bias(directory)
    size = sum(path.stat().st_size for path in directory.iterdir()) / 1e6
    lines = [
        "## The shipped model" + ("" if section == "shipped" else f" `{args.model}`"),
        "",
        run_header(),
        f"Bundle `{_shown(directory)}` ({size:.1f} MB with its KB; words and weights as `scripts/bundle.py` stores",
        "them: half precision, word vectors in 8 bits in bundles made since 2026-12-07; so it can differ a little from",
        "the run it came from). Percent.",
        _threshold_note(threshold, bias),
        "",
        "EL micro F1 no NIL: the same predictions, every mention linked to its best candidate (RESULTS.md, Ablations).",
        "",
        "| split | protocol | NER F1 | EL micro F1 | EL macro F1 | EL micro F1 no NIL | ED acc | NIL F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    per_type = {}
    for protocol, kb_path in (("realistic", directory / "kb.sqlite"), ("ppr", args.kb or default_kb_path())):
        with KB(kb_path) as kb:
            for split in ("testa", "testb"):
                run = evaluate_model(model, corpus[split], kb, protocol, threshold, bias)
                s = run.scores
                per_type.setdefault(split, s.ner)
                lines.append(
                    f"| {split} | {protocol} | {100 * s.ner.micro.f1:.2f} | {100 * s.el.micro.f1:.2f} | "
                    f"{100 * s.el.macro_f1:.2f} | {100 * run.el_no_nil.micro.f1:.2f} | {100 * s.ed.accuracy:.2f} | "
                    f"{100 * s.nil.f1:.2f} |"
                )
    lines += ["", *_per_type_table(per_type)]
    text = "\n".join(lines)
    print(text)
    write_section(args.out, section, text)


def _per_type_table(scores: dict[str, NERScores]) -> list[str]:
    labels = sorted(next(iter(scores.values())).per_type)
    lines = ["NER F1 per type:", "", "| split | " + " | ".join(labels) + " | micro |", "|---" * (len(labels) + 2) + "|"]
    for split, ner in scores.items():
        cells = " | ".join(f"{100 * ner.per_type[label].f1:.2f}" for label in labels)
        lines.append(f"| {split} | {cells} | {100 * ner.micro.f1:.2f} |")
    return lines


if __name__ == "__main__":
    main()
