"""What reading a surname alone as the person named in full (`coreference.name_people_in_part`) changes in a model's
NER on a split, for persons (the rule as shipped) and, to measure it, for the other types.

Prints, per type: the mentions the rule changes (relabelled or added), how many of those get their gold span and
label, and NER micro F1 without and with it. Tune on testa only.

    .venv/bin/python scripts/surname_rule.py [--model default] [--split testa] [--kb .cache/kb.sqlite]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from jointel.annotate import model_directory
from jointel.cli import default_cache_dir, default_kb_path, resolve_data_dir, run_header
from jointel.data import LABELS, Document, load_corpus
from jointel.evaluate import score_corpus
from jointel.kb import KB
from jointel.model import KBAccess, load_model, predict_documents


def spans(documents: list[Document]) -> set[tuple[int, int, int, int, str]]:
    """(document, sentence, start, end, label) of every span."""
    return {
        (d, s, span.start, span.end, span.label)
        for d, document in enumerate(documents)
        for s, sentence in enumerate(document.sentences)
        for span in sentence.spans
    }


def model_kb_path(directory: Path) -> Path:
    """The model's own kb.sqlite, else the cache's KB."""
    return directory / "kb.sqlite" if (directory / "kb.sqlite").exists() else default_kb_path()


def ner_f1(gold: list[Document], predicted: list[Document]) -> float:
    return 100 * score_corpus(gold, predicted).to_dict()["ner"]["micro"]["f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a bundled model's name or a model directory")
    parser.add_argument("--split", default="testa")
    parser.add_argument("--kb", type=Path, default=None, help="default: the model's own kb.sqlite, else the cache's")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    directory = model_directory(args.model)
    gold = list(load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())[args.split])
    model = load_model(directory)
    kb_path = args.kb or model_kb_path(directory)
    with KB(kb_path) as kb:
        access = KBAccess.for_model(kb, "realistic", model.config)
        plain = predict_documents(model, gold, access, surnames=None)
        ruled = {label: predict_documents(model, gold, access, surnames=label) for label in LABELS}
    truth, before = spans(gold), spans(plain)
    print(run_header())
    print(f"{args.model} on {args.split} ({kb_path.name}): NER micro F1 without the rule {ner_f1(gold, plain):.2f}\n")
    print("| type | mentions changed | of them to the gold span and label | NER F1 with the rule |")
    print("|---|---|---|---|")
    for label, predicted in ruled.items():
        changed = spans(predicted) - before
        print(f"| {label} | {len(changed)} | {len(changed & truth)} | {ner_f1(gold, predicted):.2f} |")


if __name__ == "__main__":
    main()
