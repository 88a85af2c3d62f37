"""How jointel's cost scales: throughput against batch size, and time per text against document length.

Batch size: all AIDA testb documents through `annotate_many(texts, batch_size=B)` for B in 1, 4, 16, 64, 256.
Length: texts of exactly 10, 50, 200, 1,000 and 5,000 CoNLL tokens, cut from consecutive testb then testa sentences,
each sent alone through `annotate(text)` (a request per text), about `--tokens` tokens of texts per length; seconds
per text, tokens/s and seconds per 1,000 tokens, with a least-squares line `seconds = fixed + slope · tokens`.
Rounds interleaved, warm-up excluded, median of `--repeat`. Draws benchmarks/scaling.png and writes the `scaling`
section of BENCHMARKS.md.

    .venv/bin/python benchmarks/scaling.py [--repeat 3] [--threads 1] [--tokens 10000] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from common import (
    Timing,
    header,
    load_average,
    parser,
    publish,
    raw_text,
    sentence_tokens,
    split_documents,
    thread_limit,
    time_rounds,
    verdict,
)

import jointel

BATCH_SIZES = (1, 4, 16, 64, 256)
LENGTHS = (10, 50, 200, 1000, 5000)
MIN_TEXTS = 3  # the longest texts: enough for a median per text to mean something
LINEARITY_TARGET = 1.2  # cost per token at 5,000 tokens over that at 1,000: linear growth keeps it near 1
PLOT = Path(__file__).with_name("scaling.png")


@dataclass(frozen=True)
class Point:
    """One setting (a batch size or a text length) and the timing of its whole workload."""

    setting: int
    texts: int
    tokens: int
    timing: Timing

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.timing.median

    @property
    def seconds_per_text(self) -> float:
        return self.timing.median / self.texts


def texts_of_length(sentences: Iterator[tuple[str, ...]], length: int, count: int) -> list[str]:
    """`count` texts of exactly `length` tokens: consecutive sentences, the last one cut where the length is reached."""
    texts = []
    for _ in range(count):
        tokens: list[str] = []
        while len(tokens) < length:
            tokens += next(sentences)
        texts.append(" ".join(tokens[:length]))
    return texts


def batch_points(annotator: jointel.Annotator, texts: list[str], tokens: int, repeat: int) -> list[Point]:
    runs = {size: lambda size=size: list(annotator.annotate_many(texts, batch_size=size)) for size in BATCH_SIZES}
    timings = time_rounds(runs, repeat)
    return [Point(size, len(texts), tokens, timings[size]) for size in BATCH_SIZES]


def length_points(annotator: jointel.Annotator, sentences: list[tuple[str, ...]], budget: int, repeat: int):
    """Per length: texts cut from the start of the same sentence stream, each annotated as its own request."""
    workloads = {
        length: texts_of_length(itertools.cycle(sentences), length, max(MIN_TEXTS, budget // length))
        for length in LENGTHS
    }
    runs = {
        length: lambda texts=texts: [annotator.annotate(text) for text in texts] for length, texts in workloads.items()
    }
    timings = time_rounds(runs, repeat)
    return [Point(length, len(texts), length * len(texts), timings[length]) for length, texts in workloads.items()]


def linear_fit(points: list[Point]) -> tuple[float, float, float]:
    """`seconds per text = fixed + slope · tokens`, least squares on relative errors (else the longest texts alone
    would set the line): (fixed seconds, seconds per token, largest relative distance of a point from the line)."""
    tokens = np.array([point.setting for point in points], dtype=float)
    seconds = np.array([point.seconds_per_text for point in points])
    slope, fixed = np.polyfit(tokens, seconds, 1, w=1 / seconds)
    return float(fixed), float(slope), float(np.max(np.abs(seconds - (fixed + slope * tokens)) / seconds))


def plot(batches: list[Point], lengths: list[Point], fit: tuple[float, float, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fixed, slope, _ = fit
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(14, 4))
    left.plot([p.setting for p in batches], [p.tokens_per_second for p in batches], "o-")
    left.set(xscale="log", xlabel="annotate_many batch size (documents)", ylabel="tokens/s", title="AIDA testb")
    left.set_xticks(BATCH_SIZES, [str(size) for size in BATCH_SIZES])
    tokens = np.array([p.setting for p in lengths], dtype=float)
    middle.plot(tokens, [p.seconds_per_text for p in lengths], "o", label="measured")
    line = np.geomspace(tokens.min(), tokens.max(), 100)
    middle.plot(line, fixed + slope * line, "-", label=f"{1000 * fixed:.1f} ms + {1e6 * slope:.1f} ms/1k tokens")
    middle.set(xscale="log", yscale="log", xlabel="tokens per text", ylabel="seconds per text (annotate)")
    middle.set_title("one request per text")
    middle.legend()
    right.plot(tokens, [p.seconds_per_text / p.setting * 1000 for p in lengths], "o-")
    right.set(xscale="log", xlabel="tokens per text", ylabel="seconds per 1,000 tokens", ylim=(0, None))
    right.set_title("flat = linear cost")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def batch_table(points: list[Point]) -> list[str]:
    lines = ["| batch size | seconds | tokens/s | documents/s |", "|---|---|---|---|"]
    for point in points:
        lines.append(
            f"| {point.setting} | {point.timing} | {point.tokens_per_second:,.0f} | "
            f"{point.texts / point.timing.median:.1f} |"
        )
    return lines


def length_table(points: list[Point]) -> list[str]:
    lines = [
        "| tokens per text | texts | seconds per text | tokens/s | seconds per 1,000 tokens |",
        "|---|---|---|---|---|",
    ]
    for point in points:
        lines.append(
            f"| {point.setting:,} | {point.texts:,} | {point.seconds_per_text:.4f} | {point.tokens_per_second:,.0f} | "
            f"{point.seconds_per_text / point.setting * 1000:.3f} |"
        )
    return lines


def linearity_lines(points: list[Point], fit: tuple[float, float, float], document_tokens: int) -> list[str]:
    fixed, slope, largest_error = fit
    per_token = {point.setting: point.seconds_per_text / point.setting for point in points}
    growth = per_token[LENGTHS[-1]] / per_token[1000]
    return [
        f"- Least squares over the lengths: seconds per text = **{1000 * fixed:.1f} ms + {1e6 * slope:.1f} ms per "
        f"1,000 tokens** (fitted on relative errors; every length within {largest_error:.0%} of the line). "
        "The fixed part is the cost of a request whatever its length, which is why short texts cost more per token.",
        f'- Target "cost grows linearly with document length": the cost per token at {LENGTHS[-1]:,} tokens over '
        f"that at 1,000 tokens is **{growth:.2f}** (read as ≤ {LINEARITY_TARGET}: "
        f"{verdict(growth, LINEARITY_TARGET, False)}). Texts longer than {document_tokens:,} tokens are cut into "
        "documents of that size (the linker's context window), decoded in one batch.",
    ]


def main() -> None:
    arguments = parser(__doc__, repeat=3)
    arguments.add_argument("--threads", type=int, default=1)
    arguments.add_argument("--tokens", type=int, default=10_000, help="tokens of texts per length")
    arguments.add_argument("--documents", type=int, default=None, help="only the first N testb documents (a check)")
    arguments.add_argument("--plot", type=Path, default=PLOT)
    args = arguments.parse_args()
    load_at_start = load_average()
    testb = split_documents("testb", args.data_dir)
    texts = [raw_text(document) for document in testb[: args.documents]]
    tokens = sum(document.n_tokens for document in testb[: args.documents])
    sentences = list(sentence_tokens([*testb, *split_documents("testa", args.data_dir)]))
    annotator = jointel.load()
    with thread_limit(args.threads) as note:
        batches = batch_points(annotator, texts, tokens, args.repeat)
        lengths = length_points(annotator, sentences, args.tokens, args.repeat)
    fit = linear_fit(lengths)
    plot(batches, lengths, fit, args.plot)
    picture = os.path.relpath(args.plot.resolve(), args.out.resolve().parent)
    publish(
        args.out,
        "scaling",
        [
            "## Scaling: batch size and document length",
            "",
            header(str(args.threads), load_at_start),
            f"Threads: {note}. Median (min–max) of {args.repeat} rounds after a warm-up, settings taking turns.",
            "",
            f"Batch size: the {len(texts)} AIDA testb documents ({tokens:,} CoNLL tokens) through "
            "`annotate_many(texts, batch_size=B)`.",
            "",
            *batch_table(batches),
            "",
            "Document length: texts of exactly N CoNLL tokens cut from consecutive testb then testa sentences, "
            f"about {args.tokens:,} tokens of texts per length (at least {MIN_TEXTS} texts), one `annotate(text)` "
            "call per text.",
            "",
            *length_table(lengths),
            "",
            *linearity_lines(lengths, fit, annotator.document_tokens),
            "",
            f"![Throughput against batch size, time per text against length]({picture})",
        ],
    )


if __name__ == "__main__":
    main()
