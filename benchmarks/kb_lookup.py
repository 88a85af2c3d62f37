"""KB lookup speed: `KB.candidates()` on every AIDA testb gold mention surface, cold and warm.

Cold: a freshly opened KB looks up each distinct surface once, so every call normalises and queries SQLite.
Warm: all surfaces (with their repetitions) several times over through the per-instance LRU cache, as a linker
sees them. Also times the PPR protocol cold (document, surface) lookups. Builds the KB first if it is missing.

    .venv/bin/python benchmarks/kb_lookup.py [KB_PATH] [--data-dir DIR] [--repeat 5] [--k 30]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from jointel.cli.paths import default_cache_dir, default_kb_path, resolve_data_dir
from jointel.cli.provenance import run_header
from jointel.data import load_corpus
from jointel.kb import KB, build_kb, gold_mentions


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
    """Median time to open the KB (connection, metadata, entity facts)."""
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        KB(path).close()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kb", nargs="?", type=Path, default=None, help="KB file (default: cache/kb.sqlite)")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="rounds per measurement (median reported)")
    parser.add_argument("--k", type=int, default=30)
    args = parser.parse_args()
    data_dir, path = resolve_data_dir(args.data_dir), args.kb or default_kb_path()
    corpus = load_corpus(data_dir, default_cache_dir())
    if not path.is_file():
        build_kb(corpus, data_dir, path)
    mentions = list(gold_mentions(corpus["testb"]))
    surfaces = [mention.surface for mention in mentions]
    unique = list(dict.fromkeys(surfaces))
    pairs = list(dict.fromkeys((mention.doc, mention.surface) for mention in mentions))

    def cold(kb: KB) -> None:
        for surface in unique:
            kb.candidates(surface, args.k)

    def cold_ppr(kb: KB) -> None:
        for doc, surface in pairs:
            kb.ppr_candidates(doc, surface, args.k)

    def warm(kb: KB) -> None:
        for _ in range(10):
            for surface in surfaces:
                kb.candidates(surface, args.k)

    print("# KB lookup benchmark\n")
    print(run_header())
    print(f"KB {path} ({path.stat().st_size / 1e6:.1f} MB), k={args.k}, median of {args.repeat} rounds")
    print(f"testb gold mentions: {len(surfaces):,}, distinct surfaces: {len(unique):,}")
    print(f"open KB: {1000 * open_seconds(path, args.repeat):.0f} ms")
    realistic_cold = rate(len(unique), cold, path, args.repeat)
    ppr_cold = rate(len(pairs), cold_ppr, path, args.repeat)
    print(f"realistic candidates(), cold (distinct surfaces, empty cache): {realistic_cold:,.0f}/s")
    print(f"PPR ppr_candidates(), cold (distinct doc+surface):             {ppr_cold:,.0f}/s")
    with KB(path) as kb:
        kb.candidates_many(unique, args.k)
        per_second = rate(10 * len(surfaces), warm, path, args.repeat, kb)
    print(f"realistic candidates(), warm (all surfaces x10, cached):       {per_second:,.0f}/s")


if __name__ == "__main__":
    main()
