"""What the benchmark scripts share: AIDA texts, timing after a warm-up, thread limits, section headers, verdicts.

Each script runs from the repository root (`.venv/bin/python benchmarks/NAME.py`), so this module is imported as
`common`. The helpers are small on purpose: a script reads top to bottom, and its numbers come from the code beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from jointel.cli import default_cache_dir, resolve_data_dir, run_header, write_section
from jointel.data import Document, load_corpus

NOISY_SPREAD = 1.5  # slowest round over fastest above which a row is flagged as unreliable
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")
END_TO_END_SECONDS = 5.0  # the target for annotating the whole AIDA testb, model loaded


def parser(doc: str, repeat: int) -> argparse.ArgumentParser:
    """The options every benchmark takes: rounds, the Markdown file to write, the data directory."""
    result = argparse.ArgumentParser(description=doc.splitlines()[0])
    result.add_argument("--repeat", type=int, default=repeat, help="timed rounds after a warm-up (median reported)")
    result.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"), help="Markdown file whose section to write")
    result.add_argument("--data-dir", type=Path, default=None, help="default: $JOINTEL_DATA, else ../shared/data")
    return result


def split_documents(split: str, data_dir: Path | None = None) -> list[Document]:
    return load_corpus(resolve_data_dir(data_dir), default_cache_dir())[split]


def raw_text(document: Document) -> str:
    """The document as a user would send it: CoNLL tokens joined by spaces, sentence after sentence."""
    return " ".join(" ".join(sentence.tokens) for sentence in document.sentences)


def sentence_tokens(documents: Iterable[Document]) -> Iterator[tuple[str, ...]]:
    for document in documents:
        for sentence in document.sentences:
            yield sentence.tokens


@dataclass(frozen=True)
class Timing:
    """Seconds of the timed rounds of one measurement (warm-up excluded)."""

    seconds: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> float:
        """Slowest round over fastest: far above 1 when the shared machine got busier during the run."""
        return max(self.seconds) / min(self.seconds)

    def __str__(self) -> str:
        return f"{self.median:.2f} ({min(self.seconds):.2f}–{max(self.seconds):.2f})"


def time_rounds(runs: Mapping[str, Callable[[], object]], repeat: int, warm_up: bool = True) -> dict[str, Timing]:
    """Wall time of each run in `repeat` rounds, after an untimed warm-up run of each unless `warm_up` is False.

    The warm-up fills caches and runs lazy initialisation. The runs take turns within a round, so a burst of load
    on the shared machine hits all of them alike and their ratio stays fair.
    """
    if warm_up:
        for run in runs.values():
            run()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return {name: Timing(tuple(values)) for name, values in seconds.items()}


def latencies(run: Callable[[str], object], texts: Sequence[str], repeat: int, warm_up: int = 10) -> list[float]:
    """Seconds of `run(text)` for each text, one request at a time, `repeat` passes after `warm_up` requests."""
    for text in texts[:warm_up]:
        run(text)
    seconds = []
    for _ in range(repeat):
        for text in texts:
            start = time.perf_counter()
            run(text)
            seconds.append(time.perf_counter() - start)
    return seconds


def percentile(values: Sequence[float], percent: float) -> float:
    return float(np.percentile(values, percent))


@contextmanager
def thread_limit(threads: int) -> Iterator[str]:
    """Run the block with `threads` threads in torch and in numpy/spaCy's pools; yields a note of what was set."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with _pool_limit(threads) as pools:
            yield f"torch.set_num_threads({threads}); {pools}"
    finally:
        torch.set_num_threads(previous)


@contextmanager
def _pool_limit(threads: int) -> Iterator[str]:
    """threadpoolctl limits the OpenMP and BLAS libraries already loaded; without it only environment variables
    are set, which libraries loaded earlier never read, so the note says so."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        for name in THREAD_VARIABLES:
            os.environ[name] = str(threads)
        yield (
            f"{'/'.join(THREAD_VARIABLES)}={threads} in the environment (threadpoolctl not installed: libraries "
            "loaded before this point keep their own setting)"
        )
        return
    with threadpool_limits(limits=threads):
        pools = ", ".join(f"{pool['internal_api']} {pool['num_threads']}" for pool in threadpool_info())
        yield f"threadpoolctl limits: {pools or 'no pool found'}"


def noisy_rows(timings: Mapping[str, Timing]) -> list[str]:
    """A warning line for each timing whose rounds differ too much to be read as one number."""
    one_minute = os.getloadavg()[0]
    return [
        f"- {name}: rounds from {min(timing.seconds):.2f} to {max(timing.seconds):.2f} s (×{timing.spread:.1f}) "
        f"with a load average of {one_minute:.1f} on {os.cpu_count()} cores; rerun on a quiet machine before "
        "trusting this row."
        for name, timing in timings.items()
        if timing.spread > NOISY_SPREAD
    ]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def header(threads: str, load_at_start: str) -> str:
    """The provenance lines of a section: command, date, machine, commit, torch threads and the machine's load.

    The load average goes in every section because these machines are shared: a number measured at load 6 on
    2 cores is not the number a quiet machine gives.
    """
    return (
        run_header().rstrip("\n")
        + f"  \nTorch threads: {threads}  \n"
        + f"Load average (1 / 5 / 15 min) on {os.cpu_count()} cores: {load_at_start} at the start, "
        + f"{load_average()} at the end\n"
    )


def verdict(value: float, target: float, higher_is_better: bool, unit: str = "") -> str:
    """'met by …' or 'missed by …': the distance to the target, absolute and relative to the target."""
    is_met = value >= target if higher_is_better else value <= target
    margin = abs(value - target)
    return f"{'met' if is_met else 'missed'} by {margin:,.2f}{unit} ({margin / target:.0%} of the target)"


def megabytes(size: float) -> str:
    """Bytes as MB of 10^6 bytes (the stricter reading of a target in MB)."""
    return f"{size / 1e6:,.1f} MB"


def publish(out: Path, name: str, lines: Sequence[str]) -> None:
    """Print the section and write it between its markers in `out`."""
    text = "\n".join(lines)
    print(text)
    write_section(out, name, text)
