"""KB lookup speed: `KB.candidates()` on every AIDA testb gold mention surface, cold and warm.

Cold: a freshly opened KB looks up each distinct surface once, so every call normalises and queries SQLite.
Warm: all surfaces (with their repetitions) several times over through the per-instance LRU cache, as a linker
sees them. Also times the PPR protocol cold (document, surface) lookups. Builds the KB first if it is missing.
Writes the `kb` section of BENCHMARKS.md (or `--section`, e.g. kb-wikipedia for the Wikipedia KB).

    .venv/bin/python benchmarks/kb_lookup.py [KB_PATH] [--data-dir DIR] [--repeat 5] [--k 30] [--out BENCHMARKS.md]
    .venv/bin/python benchmarks/kb_lookup.py .cache/kb-wikipedia.sqlite --section kb-wikipedia
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common import END_TO_END_SECONDS, header, load_average, parser, publish, verdict

from jointel.cli import default_cache_dir, default_kb_path, resolve_data_dir
from jointel.data import load_corpus
from jointel.kb import KB, build_kb, gold_mentions

BUDGET_SHARE = 0.05  # lookups may take this share of the end-to-end target (the issue sets no KB target)
COLD_TARGET = 20_000  # cold lookups/s that a KB of 4.5 M entities must still serve (issue 19)


def rate(calls: int, run: Callable[[KB], None], path: Path, rounds: int, kb: KB | None = None) -> float:
    """Calls per second of `run(kb)` (which makes `calls` lookups), median over `rounds`.

    Without `kb`, each round opens a fresh KB outside the timed part: an empty cache, and no open cost.
    """
    seconds = []
    for _ in range(rounds):
        fresh = kb or KB(path)
        start = time.perf_counter()
        run(fresh)
        seconds.append(time.perf_counter() - start)
        if kb is None:
            fresh.close()
    return calls / statistics.median(seconds)


def open_seconds(path: Path, rounds: int) -> float:
    """Median time to open the KB (connection and metadata; entity facts are read with each lookup)."""
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        KB(path).close()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


@dataclass(frozen=True)
class Rates:
    """Lookups per second of the three access patterns, and the median time to open the KB."""

    cold: float
    ppr_cold: float
    warm: float
    open_seconds: float


def measure(path: Path, surfaces: list[str], pairs: list[tuple[int, str]], k: int, rounds: int) -> Rates:
    unique = list(dict.fromkeys(surfaces))

    def cold(kb: KB) -> None:
        for surface in unique:
            kb.candidates(surface, k)

    def cold_ppr(kb: KB) -> None:
        for doc, surface in pairs:
            kb.ppr_candidates(doc, surface, k)

    def warm(kb: KB) -> None:
        for _ in range(10):
            for surface in surfaces:
                kb.candidates(surface, k)

    realistic_cold = rate(len(unique), cold, path, rounds)
    ppr_cold = rate(len(pairs), cold_ppr, path, rounds)
    with KB(path) as kb:
        kb.candidates_many(unique, k)
        realistic_warm = rate(10 * len(surfaces), warm, path, rounds, kb)
    return Rates(realistic_cold, ppr_cold, realistic_warm, open_seconds(path, rounds))


def report(args, path: Path, surfaces: list[str], pairs: list, rates: Rates, load_at_start: str) -> list[str]:
    unique = len(set(surfaces))
    testb_seconds = unique / rates.cold + (len(surfaces) - unique) / rates.warm
    budget = BUDGET_SHARE * END_TO_END_SECONDS
    return [
        "## KB: candidate lookups per second",
        "",
        header("not used (SQLite and Python, one thread)", load_at_start),
        f"KB `{os.path.relpath(path)}` ({path.stat().st_size / 1e6:.1f} MB), k = {args.k}, median of "
        f"{args.repeat} rounds; testb gold mentions: {len(surfaces):,}, distinct surfaces: {unique:,}, "
        f"distinct (document, surface) pairs: {len(pairs):,}. Cold: a freshly opened KB (empty cache, opening "
        "not timed).",
        "",
        "| lookup | lookups/s |",
        "|---|---|",
        f"| `candidates()` cold: each distinct surface once | {rates.cold:,.0f} |",
        f"| `ppr_candidates()` cold: each distinct (document, surface) once | {rates.ppr_cold:,.0f} |",
        f"| `candidates()` warm: all surfaces ten times, through the cache | {rates.warm:,.0f} |",
        "",
        f"- Opening the KB (connection and metadata): {1000 * rates.open_seconds:.0f} ms.",
        f"- Target (the issue sets none; derived from the {END_TO_END_SECONDS:.0f} s end-to-end target for testb): "
        f"the lookups of all testb gold mentions, distinct surfaces cold and repeats warm, take at most "
        f"{BUDGET_SHARE:.0%} of it, {budget:.2f} s: **{testb_seconds:.3f} s** "
        f"({verdict(testb_seconds, budget, False, ' s')}).",
        f"- Target for a KB of all of Wikipedia (issue 19): at least {COLD_TARGET:,} cold `candidates()` lookups/s: "
        f"**{rates.cold:,.0f}** ({verdict(rates.cold, COLD_TARGET, True)}).",
    ]


def main() -> None:
    arguments = parser(__doc__, repeat=5)
    arguments.add_argument("kb", nargs="?", type=Path, default=None, help="KB file (default: cache/kb.sqlite)")
    arguments.add_argument("--k", type=int, default=30)
    arguments.add_argument("--section", default="kb", help="BENCHMARKS.md section (kb-wikipedia for that KB)")
    args = arguments.parse_args()
    load_at_start = load_average()
    data_dir, path = resolve_data_dir(args.data_dir), args.kb or default_kb_path()
    corpus = load_corpus(data_dir, default_cache_dir())
    if not path.is_file():
        build_kb(corpus, data_dir, path)
    mentions = list(gold_mentions(corpus["testb"]))
    surfaces = [mention.surface for mention in mentions]
    pairs = list(dict.fromkeys((mention.doc, mention.surface) for mention in mentions))
    rates = measure(path, surfaces, pairs, args.k, args.repeat)
    publish(args.out, args.section, report(args, path, surfaces, pairs, rates, load_at_start))


if __name__ == "__main__":
    main()
