"""Why a model trained on the Wikipedia KB answers NIL: what AIDA's NIL mentions get as candidates, and a probe.

    .venv/bin/python scripts/wikipedia_nil.py [--model DIR] [--kb KB]

1. AIDA train's NIL mentions by their candidates in the KB (top 30 of the alias table): none, only entities the KB
   knows well, mixed, only entities it knows by name alone (`KB.name_only`), and how many have a name-only title
   spelled exactly as the mention.
2. For MODEL: "Elon Musk and Helmut Kohl met Taylor Swift." as is, with the candidate lists of the first two names
   swapped, and with Elon_Musk's and Taylor_Swift's popularity, type or prior changed: the probability of each
   mention's top candidate. If swapping moves the probability with the mention and not with the entity, the mention
   decides NIL.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections import Counter
from pathlib import Path

import jointel
from jointel.annotate import BUNDLED_MODEL
from jointel.cli import default_cache_dir, default_wikipedia_kb_path, resolve_data_dir
from jointel.data import load_corpus
from jointel.kb import KB
from jointel.model import is_named

PROBE = "Elon Musk and Helmut Kohl met Taylor Swift."
NEW = ("Elon_Musk", "Taylor_Swift")


def nil_candidates(kb: KB) -> Counter[str]:
    corpus = load_corpus(resolve_data_dir(None), default_cache_dir())
    tally: Counter[str] = Counter()
    for document in corpus["train"]:
        for sentence in document.sentences:
            for span in sentence.spans:
                if span.entity is None and span.is_annotated:
                    tally.update(_kinds(kb, " ".join(sentence.tokens[span.start : span.end])))
    return tally


def _kinds(kb: KB, surface: str) -> list[str]:
    candidates = kb.candidates(surface, 30)
    if not candidates:
        return ["none"]
    name_only = kb.name_only(candidate.entity for candidate in candidates)
    known = sum(candidate.entity not in name_only for candidate in candidates)
    kinds = ["only well-known" if known == len(candidates) else "mixed" if known else "only name-only"]
    if any(is_named(title, surface) for title in name_only):  # what `name_only_nil: exact` drops
        kinds.append("a name-only title spelled as the mention")
    return kinds


def probe(annotator: jointel.Annotator) -> list[str]:
    kb, lookup = annotator.kb, annotator.kb.candidates
    swapped = {"Elon Musk": "Helmut Kohl", "Helmut Kohl": "Elon Musk"}
    variants = {
        "as is": ({}, {}),
        "candidate lists of Elon Musk and Helmut Kohl swapped": (swapped, {}),
        "popularity 9": ({}, {"popularity": 9.0}),
        "type PER": ({}, {"type": "PER"}),
        "prior halved": ({}, {"prior": 0.5}),
    }
    lines = []
    for name, (swap, changes) in variants.items():

        def candidates(surface: str, k: int | None = 30, swap=swap, changes=changes):
            found = lookup(swap.get(surface, surface), k)
            return [dataclasses.replace(c, **changes) if c.entity in NEW else c for c in found]

        kb.candidates = candidates  # the Annotator's protocol reads candidates through this method
        try:
            mentions = annotator.annotate(PROBE, nil_threshold=0.0, top_k=1)
        finally:
            del kb.candidates
        tops = ", ".join(f"{m.text} → {m.candidates[0][0]} {m.candidates[0][1]:.3f}" for m in mentions if m.candidates)
        lines.append(f"- {name}: {tops}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    parser.add_argument("--kb", type=Path, default=None, help="default: the Wikipedia KB in the cache")
    args = parser.parse_args()
    kb_path = args.kb or default_wikipedia_kb_path()
    with KB(kb_path) as kb:
        tally = nil_candidates(kb)
    print(f"AIDA train NIL mentions by their candidates in {kb_path}:")
    for kind, count in tally.most_common():
        print(f"- {kind}: {count:,}")
    with jointel.load(args.model, kb_path) as annotator:
        print(f"\n{args.model}, top candidate of each mention of {PROBE!r}:")
        print("\n".join(probe(annotator)))


if __name__ == "__main__":
    main()
