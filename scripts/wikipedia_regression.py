"""Link the hand-made sentences about entities that AIDA never saw, and print how many links come out right.

    .venv/bin/python scripts/wikipedia_regression.py [--model DIR] [--kb KB] [--aida-kb KB] [--nil-threshold T]
        [--cases FILE] [--write-slice] [--out RESULTS.md]

The cases are tests/fixtures/wikipedia_regression.jsonl, a test: no choice is made by them. Models are chosen on
the dev sentences, data/wikipedia_dev.jsonl (`--cases data/wikipedia_dev.jsonl`: other entities, the same kind of
text; their RESULTS section is `wikipedia-dev`), and on data/places_dev.jsonl (places and the sports teams AIDA
names by them, each in a context that decides: section `places-dev`). `--write-slice` also writes
tests/fixtures/wikipedia_regression_kb.sql: the rows of the KB that annotating these sentences reads (the candidates
of every mention found, under each alias variant; the gazetteer entries of every n-gram), so that the test suite
can replay the run without the 890 MB Wikipedia KB (tests/annotate/test_wikipedia_regression.py).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

import jointel
from jointel.annotate import BUNDLED_MODEL, Mention, split_sentences
from jointel.cli import default_kb_path, default_wikipedia_kb_path, run_header, write_section
from jointel.evaluate import CaseOutcome, read_link_cases, score_link_cases
from jointel.kb import alias_variants, normalize, slice_for_lookups
from jointel.model import lookup_keys

REPO = Path(__file__).resolve().parents[1]
CASES = REPO / "tests" / "fixtures" / "wikipedia_regression.jsonl"
DEV_CASES = REPO / "data" / "wikipedia_dev.jsonl"
SLICE = REPO / "tests" / "fixtures" / "wikipedia_regression_kb.sql"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    parser.add_argument("--kb", type=Path, default=None, help="default: the Wikipedia KB in the cache")
    parser.add_argument("--aida-kb", type=Path, default=None, help="default: the AIDA KB in the cache")
    parser.add_argument("--nil-threshold", type=float, default=None, help="default: the model's own")
    parser.add_argument("--cases", type=Path, default=CASES, help=f"default: the test sentences; dev: {DEV_CASES}")
    parser.add_argument("--write-slice", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="write the section into this Markdown file")
    args = parser.parse_args()
    path = args.cases.resolve()
    dev = path != CASES
    if args.write_slice and dev:
        parser.error("--write-slice replays the test sentences only")
    cases = read_link_cases(args.cases)
    texts = [case.text for case in cases]
    results = {}
    kbs = (("Wikipedia KB", args.kb or default_wikipedia_kb_path()), ("AIDA KB", args.aida_kb or default_kb_path()))
    for name, kb in kbs:
        with jointel.load(args.model, kb, args.nil_threshold) as annotator:
            predicted = list(annotator.annotate_many(texts))
            if name == "Wikipedia KB" and args.write_slice:
                write_slice(Path(kb), predicted, texts, annotator.model.config.max_candidates)
        results[name] = score_link_cases(cases, predicted)
    section = report(results, len(cases), path.relative_to(REPO) if path.is_relative_to(REPO) else path, dev)
    print(section)
    if args.out is not None:
        write_section(args.out, path.stem.replace("_", "-") if dev else "wikipedia-regression", section)


def report(results: dict[str, list[CaseOutcome]], sentences: int, cases: Path, dev: bool) -> str:
    title = f"Dev sentences {cases.name} (for choosing models)" if dev else "Sentences about entities AIDA never saw"
    lines = [
        f"### {title}",
        "",
        run_header(),
        f"{sentences} hand-made sentences ({cases}), "
        f"{len(next(iter(results.values())))} expected links; a link is right when the mention is found with "
        "exactly its text and linked to the expected page (titles compared case- and accent-blind).",
        "",
        "| KB | mention found | linked right | NIL | linked elsewhere |",
        "|---|---|---|---|---|",
    ]
    for name, outcomes in results.items():
        found = [o for o in outcomes if o.found]
        right = sum(o.right for o in outcomes)
        nil = sum(o.linked is None for o in found)
        lines.append(f"| {name} | {len(found)} | {right} | {nil} | {len(found) - right - nil} |")
    misses = [o for o in next(iter(results.values())) if not o.right]
    lines += ["", f"Misses with the Wikipedia KB ({len(misses)}):", ""]
    lines += [f"- {o.mention!r} → {_missed(o)} (expected {o.expected})" for o in misses]
    return "\n".join(lines)


def _missed(outcome: CaseOutcome) -> str:
    if not outcome.found:
        return "not found as a mention"
    return outcome.linked or "NIL"


def write_slice(kb: Path, predicted: Sequence[Sequence[Mention]], texts: Sequence[str], k: int) -> None:
    aliases = {key for mentions in predicted for m in mentions for key in (normalize(m.text), *alias_variants(m.text))}
    with tempfile.TemporaryDirectory() as temp:
        sliced = slice_for_lookups(kb, Path(temp) / "slice.sqlite", aliases, set(_gazetteer_keys(texts)), k)
        with closing(sqlite3.connect(sliced)) as db:
            SLICE.write_text("\n".join(db.iterdump()) + "\n", encoding="utf-8")
    print(f"wrote {SLICE} ({SLICE.stat().st_size / 1e3:.0f} kB)")


def _gazetteer_keys(texts: Sequence[str]) -> Iterator[str]:
    for text in texts:
        for tokens in split_sentences(text):
            yield from lookup_keys([token.text for token in tokens])


if __name__ == "__main__":
    main()
