"""`jointel annotate-corpus` on Ray Data: docs/s with 1 and 2 workers, exactness, and resume after a kill.

Makes a synthetic corpus (fixed seed) of documents cut from CoNLL-2003 train stories (1 to 15 consecutive
sentences, detokenised), spread over JSONL and Parquet files. Annotates it in one process (each shard's texts
through one `annotate_many` call, one torch thread: the reference), then runs `jointel annotate-corpus` with 1 and
with 2 workers and checks that both outputs equal the reference exactly. Then starts a third run, terminates it
(SIGTERM) once some shards exist, reruns the command, and checks that the rerun did only the missing shards, left
the finished ones untouched, and that the result equals the reference. Writes the `corpus` section of BENCHMARKS.md.

    .venv/bin/python benchmarks/corpus.py [--documents 10000] [--files 20] [--shard-size 250] [--work DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import torch

import jointel
from jointel.annotate import plan_corpus, read_output, read_shard
from jointel.cli import REPO_ROOT, default_cache_dir, resolve_data_dir, run_header, write_section
from jointel.data import load_corpus

JOINTEL = Path(sys.executable).with_name("jointel")
NO_SPACE_BEFORE = {",", ".", ":", ";", "!", "?", ")", "]", "%", "'s", "'", "n't"}
NO_SPACE_AFTER = {"(", "[", "$"}
SUMMARY = re.compile(r"annotated ([\d,]+) documents in ([\d.]+) s with (\d+) workers")
WRITTEN = re.compile(r"(\d+) shards written, (\d+) skipped")


@dataclass(frozen=True)
class Run:
    """One `jointel annotate-corpus` run: wall time of the command, time of its annotation loop (from the
    command's summary line: after Ray started, including the actors' model loading), shards written and skipped."""

    workers: int
    wall_seconds: float
    pipeline_seconds: float
    written: int
    skipped: int
    load: float  # 1-minute load average at the end


@dataclass(frozen=True)
class Resume:
    """A run terminated after some shards, and its rerun."""

    killed_shards: int  # shards on disk after the kill
    seconds: float  # from start to kill
    temporary: int  # temporary files left by the kill
    unreadable: int  # shards that do not read as Parquet (must be 0)
    rerun: Run
    untouched: bool  # the rerun left the shards of the killed run as they were
    equal: bool  # the final output equals the reference


def source_fingerprint() -> str:
    """A hash of jointel's source files. Each command (and each Ray worker) imports them afresh, so an edit during
    the benchmark would make its runs measure different code."""
    digest = hashlib.sha256()
    for path in sorted(Path(jointel.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def detokenise(tokens: tuple[str, ...]) -> str:
    """CoNLL tokens as plain text: no space before closing punctuation and clitics, none after opening ones."""
    text, previous = "", None
    for token in tokens:
        if previous is not None and token not in NO_SPACE_BEFORE and previous not in NO_SPACE_AFTER:
            text += " "
        text, previous = text + token, token
    return text


def make_corpus(data_dir: Path, directory: Path, documents: int, files: int, seed: int) -> int:
    """Write `documents` synthetic documents over `files` files (JSONL and Parquet, alternating); returns tokens."""
    stories = [story for story in load_corpus(data_dir, default_cache_dir())["train"] if story.sentences]
    rng, rows, tokens = random.Random(seed), [], 0
    for number in range(documents):
        story = rng.choice(stories)
        first = rng.randrange(len(story.sentences))
        sentences = story.sentences[first : first + rng.randint(1, 15)]
        tokens += sum(len(sentence.tokens) for sentence in sentences)
        rows.append((f"doc-{number:05d}", " ".join(detokenise(sentence.tokens) for sentence in sentences)))
    directory.mkdir(parents=True)
    size = -(-documents // files)
    for index in range(files):
        part = rows[index * size : (index + 1) * size]
        path = directory / f"part-{index:03d}.{'jsonl' if index % 2 == 0 else 'parquet'}"
        if path.suffix == ".jsonl":
            path.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in part))
        else:
            pq.write_table(pa.table({"id": [i for i, _ in part], "text": [t for _, t in part]}), path)
    return tokens


def reference(source: Path, shard_size: int, batch_size: int) -> tuple[dict[str, list], float]:
    """Shard name → (id, mentions) of its documents, annotated in this process; and the seconds that took."""
    torch.set_num_threads(1)
    annotator, outputs = jointel.load(), {}
    shards = plan_corpus(source, shard_size, "parquet").shards
    texts = {shard.name: read_shard(shard) for shard in shards}
    start = time.perf_counter()
    for name, table in texts.items():
        mentions = annotator.annotate_many(table.column("text").to_pylist(), batch_size=batch_size)
        outputs[name] = list(zip(table.column("id").to_pylist(), mentions, strict=True))
    return outputs, time.perf_counter() - start


def command(source: Path, output: Path, workers: int, shard_size: int, batch_size: int) -> list[str]:
    """The command line, with paths relative to the repository (where it runs) so that its output reads well."""
    options = {"--workers": workers, "--shard-size": shard_size, "--batch-size": batch_size}
    paths = [os.path.relpath(path, REPO_ROOT) for path in (source, output)]
    return [str(JOINTEL), "annotate-corpus", *paths, *(f"{key}={value}" for key, value in options.items())]


def run(arguments: list[str], log: Path) -> Run:
    """Run the command to the end; its stderr goes to `log`."""
    start = time.perf_counter()
    with log.open("w") as handle:
        subprocess.run(arguments, stdout=handle, stderr=subprocess.STDOUT, check=True, cwd=REPO_ROOT)
    wall = time.perf_counter() - start
    text = " ".join(log.read_text().split())
    summary, written = SUMMARY.search(text), WRITTEN.search(text)
    if summary is None or written is None:
        raise RuntimeError(f"no summary line in {log}")
    workers = int(summary.group(3))
    return Run(workers, wall, float(summary.group(2)), int(written.group(1)), int(written.group(2)), os.getloadavg()[0])


def run_and_kill(arguments: list[str], output: Path, log: Path, after_shards: int) -> tuple[int, float]:
    """Start the command, terminate it (SIGTERM) once `after_shards` shards exist; returns (shards, seconds)."""
    start = time.perf_counter()
    with log.open("w") as handle:
        process = subprocess.Popen(arguments, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        while len(list(output.glob("*.parquet"))) < after_shards and process.poll() is None:
            time.sleep(0.2)
        process.terminate()
        process.wait(timeout=120)
    return len(list(output.glob("*.parquet"))), time.perf_counter() - start


def equals_reference(output: Path, expected: dict[str, list]) -> bool:
    return sorted(path.name for path in output.glob("*.parquet")) == sorted(expected) and all(
        read_output(output / name) == documents for name, documents in expected.items()
    )


def rates(documents: int, tokens: int, seconds: float) -> str:
    return f"{documents / seconds:,.1f} | {tokens / seconds:,.0f}"


def report(
    args: argparse.Namespace,
    tokens: int,
    shards: int,
    single: float,
    single_load: float,
    runs: list[tuple[Run, bool]],
    resume: Resume,
    fingerprint: str,
) -> str:
    lines = [
        "## Corpus annotation on Ray Data (`jointel annotate-corpus`)\n",
        run_header(),
        f"Synthetic corpus (seed {args.seed}): {args.documents:,} documents cut from CoNLL-2003 train stories "
        f"(1–15 consecutive sentences, detokenised), {tokens:,} tokens ({tokens / args.documents:.0f} per "
        f"document); {args.files} files, JSONL and Parquet alternating; --shard-size {args.shard_size} → {shards} "
        f"shards; --batch-size {args.batch_size}; bundled model; one torch thread per worker. Ray runs locally "
        "(`ray.init()` on this machine), started by each command. jointel sources (sha256 of `jointel/**/*.py`, "
        f"unchanged during the benchmark): {fingerprint}.\n",
        "Pipeline time: from Ray being up to the last shard written (actor start and model loading included); "
        "wall: the whole command (Python start, Ray start and shutdown included).\n",
        "| run | workers | pipeline s | docs/s | tokens/s | wall s | wall docs/s | output = reference | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| single process (reference) | 1 | {single:.1f} | {rates(args.documents, tokens, single)} | – | – | – | "
        f"{single_load:.2f} |",
    ]
    for result, is_equal in runs:
        lines.append(
            f"| annotate-corpus | {result.workers} | {result.pipeline_seconds:.1f} | "
            f"{rates(args.documents, tokens, result.pipeline_seconds)} | {result.wall_seconds:.1f} | "
            f"{args.documents / result.wall_seconds:,.1f} | {'yes' if is_equal else '**no**'} | {result.load:.2f} |"
        )
    one, two = runs[0][0], runs[1][0]
    lines += [
        "",
        f"2 workers / 1 worker: {one.pipeline_seconds / two.pipeline_seconds:.2f}× (pipeline time). "
        '"output = reference": every shard equals, bit for bit, its texts annotated by one `annotate_many` call '
        "in one process; the machine's 2 cores are shared with other jobs, see the load average.\n",
        f"Resume: a 2-worker run was terminated (SIGTERM) after {resume.seconds:.0f} s with "
        f"{resume.killed_shards} of {shards} shards written; it left {resume.temporary} temporary files and "
        f"{resume.unreadable} unreadable shards. The rerun wrote {resume.rerun.written} shards and skipped "
        f"{resume.rerun.skipped}; the first run's shards untouched: {'yes' if resume.untouched else '**no**'}; "
        f"final output = reference: {'yes' if resume.equal else '**no**'}.",
    ]
    return "\n".join(lines) + "\n"


def unreadable_shards(output: Path) -> int:
    """Parquet shards in `output` that do not read: a killed run must leave none."""
    unreadable = 0
    for path in output.glob("*.parquet"):
        try:
            pq.read_table(path)
        except (pa.ArrowInvalid, OSError):
            unreadable += 1
    return unreadable


def resume_check(args: argparse.Namespace, source: Path, expected: dict[str, list]) -> Resume:
    output = args.work / "out-resume"
    arguments = command(source, output, 2, args.shard_size, args.batch_size)
    killed, seconds = run_and_kill(arguments, output, args.work / "resume-killed.log", args.kill_after)
    temporary, unreadable = len(list(output.glob("*.tmp"))), unreadable_shards(output)
    before = {path.name: path.stat().st_mtime_ns for path in output.glob("*.parquet")}
    rerun = run(arguments, args.work / "resume-rerun.log")
    untouched = all((output / name).stat().st_mtime_ns == mtime for name, mtime in before.items())
    return Resume(killed, seconds, temporary, unreadable, rerun, untouched, equals_reference(output, expected))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--shard-size", type=int, default=250)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--kill-after", type=int, default=10, help="shards written before the resume run is killed")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--work", type=Path, default=REPO_ROOT / "runs" / "bench-corpus")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    fingerprint = source_fingerprint()
    shutil.rmtree(args.work, ignore_errors=True)
    source = args.work / "input"
    tokens = make_corpus(resolve_data_dir(args.data_dir), source, args.documents, args.files, args.seed)
    print(f"corpus: {args.documents:,} documents, {tokens:,} tokens in {source}", flush=True)
    expected, single = reference(source, args.shard_size, args.batch_size)
    single_load = os.getloadavg()[0]
    print(f"single process: {single:.1f} s, {args.documents / single:.1f} docs/s", flush=True)
    runs = []
    for workers in (1, 2):
        output = args.work / f"out-{workers}"
        result = run(command(source, output, workers, args.shard_size, args.batch_size), args.work / f"{workers}.log")
        runs.append((result, equals_reference(output, expected)))
        print(f"{workers} workers: {asdict(result)}, equal: {runs[-1][1]}", flush=True)
    resume = resume_check(args, source, expected)
    print(f"resume: {asdict(resume)}", flush=True)
    if source_fingerprint() != fingerprint:
        raise SystemExit("jointel's source files changed during the benchmark, so its runs measured different code")
    text = report(args, tokens, len(expected), single, single_load, runs, resume, fingerprint)
    print(text)
    write_section(args.out, "corpus", text)


if __name__ == "__main__":
    main()
