"""NER on names the training data never showed: what generalises to new text, measured on the dev split.

A mention is *seen* when its words (casefolded) are those of some gold mention of the training split, of any type,
and *unseen* otherwise; predicted mentions are split the same way, so each group has its own precision, recall and
F1 (exact span and type, as conlleval). Unseen names are most of what a model meets in other text: testa has
fewer of them than testb, so a feature that helps there barely moves testa's overall F1. Tune on testa only.

    .venv/bin/python scripts/unseen_names.py [--model default [--model DIR ...]] [--split testa]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from surname_rule import model_kb_path, spans

from jointel.annotate import model_directory
from jointel.cli import default_cache_dir, resolve_data_dir, run_header
from jointel.data import Document, load_corpus
from jointel.kb import KB
from jointel.model import KBAccess, load_model, predict_documents

Mention = tuple[int, int, int, int, str]


def names(documents: list[Document]) -> set[str]:
    """The casefolded words of every gold mention of `documents`."""
    return {
        _words(sentence.tokens, span.start, span.end)
        for d in documents
        for sentence in d.sentences
        for span in sentence.spans
    }


def is_seen(mention: Mention, documents: list[Document], seen: set[str]) -> bool:
    d, s, start, end, _ = mention
    return _words(documents[d].sentences[s].tokens, start, end) in seen


def group_scores(truth: set[Mention], predicted: set[Mention]) -> tuple[int, int, float, float, float]:
    """(gold, predicted, precision, recall, F1) in percent."""
    right = len(truth & predicted)
    precision = right / len(predicted) if predicted else 0.0
    recall = right / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if right else 0.0
    return len(truth), len(predicted), 100 * precision, 100 * recall, 100 * f1


def _words(tokens: tuple[str, ...], start: int, end: int) -> str:
    return " ".join(tokens[start:end]).casefold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="a bundled model's name or a model directory (repeatable)")
    parser.add_argument("--split", default="testa")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    gold, seen = list(corpus[args.split]), names(list(corpus["train"]))
    truth = spans(gold)
    print(run_header())
    unseen_gold = sum(not is_seen(mention, gold, seen) for mention in truth)
    print(f"{args.split}: {len(truth)} gold mentions, {unseen_gold} of them of names unseen in train\n")
    print("| model | group | gold | predicted | precision | recall | F1 |")
    print("|---|---|---|---|---|---|---|")
    for name in args.model or ["default"]:
        directory = model_directory(name)
        model = load_model(directory)
        with KB(model_kb_path(directory)) as kb:
            predicted = spans(predict_documents(model, gold, KBAccess.for_model(kb, "realistic", model.config)))
        for group, wanted in (("seen", True), ("unseen", False), ("all", None)):
            keep = [
                {m for m in mentions if wanted is None or is_seen(m, gold, seen) == wanted}
                for mentions in (truth, predicted)
            ]
            n_gold, n_predicted, precision, recall, f1 = group_scores(*keep)
            print(f"| {name} | {group} | {n_gold} | {n_predicted} | {precision:.2f} | {recall:.2f} | {f1:.2f} |")


if __name__ == "__main__":
    main()
