"""Peak resident memory of an annotating process, and the size of the bundled model + KB on disk.

Each workload runs in a fresh Python process (this script run with `--workload`), so one measurement never
inherits another's heap: RSS after the imports, after `jointel.load()`, and the peak RSS (`ru_maxrss`) after
(a) all AIDA testb documents through `annotate_many` and (b) one 200,000-character text through `annotate`.
`--repeat` runs each workload that many times in fresh processes and reports the largest peak.
The KB is the one `jointel.load()` chooses (the Wikipedia KB once built), or `--kb`. Writes the `memory` section of
BENCHMARKS.md, or `--section` (the accurate model's MiniLM comes from its own package and is not counted in the
bundle's size). Targets: 500 MB with the bundle's own AIDA KB, 1 GB with the Wikipedia KB (issue 19).

    .venv/bin/python benchmarks/memory.py [--repeat 1] [--threads 1] [--model default|accurate] [--kb KB]
                                          [--section memory] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from common import header, load_average, megabytes, parser, publish, raw_text, split_documents, verdict

import jointel
from jointel.annotate import default_kb, model_directory
from jointel.cli import default_wikipedia_kb_path

PEAK_RSS_TARGET, WIKIPEDIA_PEAK_RSS_TARGET = 500e6, 1e9  # bytes: with the AIDA KB; with the Wikipedia KB (issue 19)
BUNDLE_TARGETS = {"default": 25e6, "accurate": 30e6}  # bytes: weights + vocabularies + config + KB
BUNDLE_FILES = ("weights.pt", "vocabs.json", "config.json", "kb.sqlite")
LONG_TEXT_CHARACTERS = 200_000
WORKLOADS = {
    "testb": "all AIDA testb documents, `annotate_many`",
    "long": f"one {LONG_TEXT_CHARACTERS:,}-character text, `annotate`",
    "server": f"the REST server (`jointel serve`'s app): each testb document, then the {LONG_TEXT_CHARACTERS:,}-"
    "character text, one `POST /annotate` each",
}


@dataclass(frozen=True)
class Usage:
    """Memory of one fresh process, in bytes, and the seconds its workload took."""

    imports_rss: int
    loaded_rss: int
    loaded_peak: int
    peak: int
    seconds: float
    mentions: int


def current_rss() -> int:
    """Resident set size now (`VmRSS` of /proc/self/status, Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS line in /proc/self/status: this benchmark needs Linux")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def long_text(texts: list[str]) -> str:
    """Documents joined as paragraphs (repeated if too few), cut to exactly `LONG_TEXT_CHARACTERS`."""
    text = "\n\n".join(texts)
    copies = -(-LONG_TEXT_CHARACTERS // len(text))  # ceiling division
    return "\n\n".join([text] * copies)[:LONG_TEXT_CHARACTERS]


def run_workload(workload: str, texts_path: Path, model: str, kb: str | None) -> Usage:
    """The child's side: read the texts, load, annotate, and report memory at each step.

    The parent reads the corpus and passes only the texts in a file: parsing the whole corpus here would raise
    the peak (`ru_maxrss` never comes down) with memory a serving process never holds.
    """
    texts = json.loads(texts_path.read_text())
    if workload == "server":
        return run_server(texts, model, kb)
    imports_rss = current_rss()
    annotator = jointel.load(model, kb)
    loaded_rss, loaded_peak = current_rss(), peak_rss()
    start = time.perf_counter()
    if workload == "testb":
        mentions = sum(len(found) for found in annotator.annotate_many(texts))
    else:
        mentions = len(annotator.annotate(long_text(texts)))
    return Usage(imports_rss, loaded_rss, loaded_peak, peak_rss(), time.perf_counter() - start, mentions)


def run_server(texts: list[str], model: str, kb: str | None) -> Usage:
    """The server's app in this process (FastAPI's test client: requests without a network), one request a text."""
    from fastapi.testclient import TestClient

    from jointel.server import ServerLimits, create_app

    imports_rss = current_rss()
    with TestClient(
        create_app(lambda: jointel.load(model, kb), ServerLimits(max_chars=LONG_TEXT_CHARACTERS))
    ) as client:
        loaded_rss, loaded_peak = current_rss(), peak_rss()
        start = time.perf_counter()
        mentions = 0
        for text in [*texts, long_text(texts)]:
            response = client.post("/annotate", json={"text": text})
            response.raise_for_status()
            mentions += len(response.json()["mentions"])
    return Usage(imports_rss, loaded_rss, loaded_peak, peak_rss(), time.perf_counter() - start, mentions)


def measure(workload: str, threads: int, texts_path: Path, model: str, kb: str | None) -> Usage:
    """Run one workload in a fresh process and read its report from the last line of its output."""
    command = [sys.executable, __file__, "--workload", workload, "--threads", str(threads), "--texts", str(texts_path)]
    command += ["--model", model, *(["--kb", kb] if kb else [])]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return Usage(**json.loads(output.splitlines()[-1]))


def kb_path(model: str, kb: str | None) -> Path:
    """The KB the workloads read: `kb`, else the one `jointel.load()` chooses for the model."""
    return Path(kb) if kb else default_kb(model_directory(model))


def bundle_sizes(directory: Path) -> dict[str, int]:
    return {name: (directory / name).stat().st_size for name in BUNDLE_FILES}  # a linked KB counts too


def memory_table(usages: dict[str, Usage]) -> list[str]:
    lines = [
        "| workload | RSS after imports | RSS after `jointel.load()` | peak RSS during load | peak RSS | seconds | "
        "mentions |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload, usage in usages.items():
        lines.append(
            f"| {WORKLOADS[workload]} | {megabytes(usage.imports_rss)} | {megabytes(usage.loaded_rss)} | "
            f"{megabytes(usage.loaded_peak)} | "
            f"**{megabytes(usage.peak)}** | {usage.seconds:.1f} | {usage.mentions:,} |"
        )
    return lines


def bundle_lines(model: str) -> list[str]:
    sizes = bundle_sizes(model_directory(model))
    total, target = sum(sizes.values()), BUNDLE_TARGETS.get(model, BUNDLE_TARGETS["default"])
    files = ", ".join(f"{name} {megabytes(size)}" for name, size in sizes.items())
    return [
        f"- Bundle on disk (`jointel/models/{model}`: {files}): **{megabytes(total)}** "
        f"(target ≤ {megabytes(target)}: {verdict(total / 1e6, target / 1e6, False, ' MB')})."
    ]


def report(args, usages: dict[str, Usage], load_at_start: str) -> list[str]:
    worst = max(usage.peak for usage in usages.values())
    kb = kb_path(args.model, args.kb)
    target = WIKIPEDIA_PEAK_RSS_TARGET if kb == default_wikipedia_kb_path() else PEAK_RSS_TARGET
    return [
        "## Memory: peak RSS of an annotating process, bundle size on disk"
        + ("" if args.model == "default" else f" (`{args.model}` model)"),
        "",
        header(str(args.threads), load_at_start),
        f"KB `{kb.name}`. Each workload in a fresh Python process (imports: torch, numpy, jointel, and the texts as a "
        "list of strings); largest peak of "
        f"{args.repeat} process(es) per workload. MB = 10^6 bytes.",
        "",
        *memory_table(usages),
        "",
        f"- Peak RSS, the largest above: **{megabytes(worst)}** "
        f"(target ≤ {megabytes(target)}: {verdict(worst / 1e6, target / 1e6, False, ' MB')}).",
        *bundle_lines(args.model),
    ]


def main() -> None:
    arguments = parser(__doc__, repeat=1)
    arguments.add_argument("--threads", type=int, default=1)
    arguments.add_argument("--workload", choices=sorted(WORKLOADS), help="internal: run one workload in this process")
    arguments.add_argument("--texts", type=Path, help="internal: JSON list of the texts for --workload")
    arguments.add_argument("--model", default="default", help="a bundled model's name")
    arguments.add_argument("--kb", default=None, help="default: the one jointel.load() chooses")
    arguments.add_argument("--section", default="memory")
    args = arguments.parse_args()
    torch.set_num_threads(args.threads)
    if args.workload:
        print(json.dumps(asdict(run_workload(args.workload, args.texts, args.model, args.kb))))
        return
    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as directory:
        texts_path = Path(directory) / "testb.json"
        texts_path.write_text(json.dumps([raw_text(document) for document in split_documents("testb", args.data_dir)]))
        usages = {
            workload: max(
                (measure(workload, args.threads, texts_path, args.model, args.kb) for _ in range(args.repeat)),
                key=lambda usage: usage.peak,
            )
            for workload in WORKLOADS
        }
    publish(args.out, args.section, report(args, usages, load_at_start))


if __name__ == "__main__":
    main()
