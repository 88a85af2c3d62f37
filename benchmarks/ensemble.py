"""What an ensemble of seeds costs at annotation: one model against its seeds used as one, same texts, same run.

For each pair (a fast configuration and the accurate one, MiniLM features), AIDA testb as raw text goes through
`annotate_many` in interleaved rounds (warm-up excluded, median and spread); the ratio is the ensemble's time over
the single model's. The accurate model computes MiniLM anew in every round (annotation keeps no vectors), once for
all members. Writes the `ensemble` section of BENCHMARKS.md.

    .venv/bin/python benchmarks/ensemble.py [--repeat 2] [--documents N] [--threads 1] [--kb .cache/kb.sqlite]
"""

from __future__ import annotations

from pathlib import Path

from common import (
    header,
    load_average,
    noisy_rows,
    parser,
    publish,
    raw_text,
    split_documents,
    thread_limit,
    time_rounds,
)

import jointel
from jointel.kb import KB
from jointel.model import Ensemble, JointModel

PAIRS = {  # name → member model directories (the first is also the single model)
    "fast (no-gazetteer)": [f"runs/no-gazetteer/joint-seed{seed}/model" for seed in (1, 2, 3)],
    "accurate (accurate-ppr, MiniLM)": [f"runs/accurate-ppr/joint-seed{seed}/model" for seed in (1, 2, 3)],
}


def main() -> None:
    arguments = parser(__doc__, repeat=2)
    arguments.add_argument("--documents", type=int, default=None, help="only the first N testb documents (a check)")
    arguments.add_argument("--threads", type=int, default=1)
    arguments.add_argument("--kb", type=Path, default=Path(".cache/kb.sqlite"))
    args = arguments.parse_args()
    load_at_start = load_average()
    documents = split_documents("testb", args.data_dir)[: args.documents]
    texts = [raw_text(document) for document in documents]
    tokens = sum(document.n_tokens for document in documents)
    lines = [
        "| configuration | model | seconds, all documents | tokens/s | ensemble / single time |",
        "|---|---|---|---|---|",
    ]
    timings = {}
    with thread_limit(args.threads) as note:
        for name, members in PAIRS.items():
            models = [JointModel.load(Path(member)) for member in members]
            with (
                jointel.Annotator(models[0], KB(args.kb)) as single,
                jointel.Annotator(Ensemble(models), KB(args.kb)) as together,
            ):
                rounds = time_rounds(
                    {
                        "one model": lambda single=single: list(single.annotate_many(texts)),
                        f"{len(models)} seeds as one": lambda together=together: list(together.annotate_many(texts)),
                    },
                    args.repeat,
                )
            base = rounds["one model"].median
            for label, timing in rounds.items():
                ratio = timing.median / base
                lines.append(f"| {name} | {label} | {timing} | {tokens / timing.median:,.0f} | {ratio:.2f} |")
                timings[f"{name}, {label}"] = timing
    publish(
        args.out,
        "ensemble",
        [
            "## Ensembles of seeds: annotation time",
            "",
            header(str(args.threads), load_at_start),
            f"AIDA testb as raw text, {len(texts)} documents, {tokens:,} CoNLL tokens, `annotate_many` (realistic "
            f"candidates), median (min–max) of {args.repeat} interleaved rounds after a warm-up. {note}.",
            "",
            *lines,
            *noisy_rows(timings),
        ],
    )


if __name__ == "__main__":
    main()
