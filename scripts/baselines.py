"""The floors and ceilings the model must beat, written into RESULTS.md (section `baselines`).

- Candidate recall@K: the fraction of gold linked mentions whose entity is among the top-K candidates — the
  ceiling of any linker that picks among candidates — under both candidate protocols.
- Prior baseline: disambiguation of the gold mentions by the top candidate (ED accuracy).

    .venv/bin/python scripts/baselines.py [--kb PATH] [--data-dir DIR] [--out RESULTS.md]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jointel.cli import default_cache_dir, default_kb_path, resolve_data_dir, run_header, write_section
from jointel.data import load_corpus
from jointel.kb import KB, PROTOCOLS, candidate_recall, prior_baseline

KS = (1, 5, 10, 30, None)
SPLITS = ("testa", "testb")


def baselines_markdown(kb: KB, corpus) -> str:
    lines = [
        "## Floors and ceilings: candidate recall and the prior baseline",
        "",
        run_header(),
        "Gold linked mentions only (AIDA `--NME--` excluded). *realistic*: candidates from the KB alias table, whose",
        "mention→entity evidence comes from train documents, entity titles and popularity only. *ppr*: the",
        "document's PPRforNED list (gold injected by its authors, hence the higher ceiling), ordered by prior.",
        "",
        "| split | protocol | mentions | R@1 | R@5 | R@10 | R@30 | R@all | cands/mention | prior ED acc |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for split in SPLITS:
        for protocol in PROTOCOLS:
            recall = candidate_recall(kb, corpus[split], protocol, KS)
            baseline = prior_baseline(kb, corpus[split], protocol)
            cells = " | ".join(f"{100 * recall.recall[k]:.2f}" for k in KS)
            lines.append(
                f"| {split} | {protocol} | {recall.mentions:,} | {cells} | {recall.mean_candidates:.1f} "
                f"| {100 * baseline.accuracy:.2f} |"
            )
    lines += [
        "",
        "The prior baseline equals R@1 by construction: it predicts the top candidate, and a mention without",
        "candidates counts as wrong. testa is the dev split (the KB prior weights were tuned on it); testb is test.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", type=Path, default=None)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("RESULTS.md"))
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    with KB(args.kb or default_kb_path()) as kb:
        text = baselines_markdown(kb, corpus)
    print(text)
    write_section(args.out, "baselines", text)


if __name__ == "__main__":
    main()
