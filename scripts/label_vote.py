"""What one label per name per document would change in a model's NER: every predicted mention takes the label its
document gives most often to the same words, as "one sense per discourse" suggests.

Prints NER micro F1 as annotation returns it (surname rule on), how many gold mentions have a name that carries
two labels in one document (a vote gets some of them wrong), then F1 with the vote, over all mentions or those of
two words or more: the mentions the vote changes, how many of those get their gold label, and how many gold
mentions it undoes. Tune on testa only.

    .venv/bin/python scripts/label_vote.py [--model default] [--split testa]
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

from surname_rule import ner_f1, spans

from jointel.annotate import model_directory
from jointel.cli import default_cache_dir, resolve_data_dir, run_header
from jointel.data import Document, Span, load_corpus
from jointel.kb import KB
from jointel.model import KBAccess, load_model, predict_documents


def voted(document: Document, min_words: int) -> Document:
    """The document with its mentions of `min_words` words or more relabelled with the label it gives most often
    to the same words (casefolded; ties go to the first seen)."""
    votes = labels_by_name(document)
    sentences = [
        replace(
            sentence,
            spans=tuple(
                replace(span, label=votes[_key(sentence.tokens, span)].most_common(1)[0][0])
                if span.end - span.start >= min_words
                else span
                for span in sentence.spans
            ),
        )
        for sentence in document.sentences
    ]
    return replace(document, sentences=tuple(sentences))


def mixed_names(documents: list[Document]) -> tuple[int, int]:
    """(mentions, names) of the names that carry two labels or more in one document."""
    mentions = names = 0
    for document in documents:
        mixed = [counts for counts in labels_by_name(document).values() if len(counts) > 1]
        mentions, names = mentions + sum(sum(counts.values()) for counts in mixed), names + len(mixed)
    return mentions, names


def labels_by_name(document: Document) -> dict[str, Counter[str]]:
    """Each name the document's spans write (casefolded) → how often it has each label there."""
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for sentence in document.sentences:
        for span in sentence.spans:
            labels[_key(sentence.tokens, span)][span.label] += 1
    return labels


def _key(tokens: tuple[str, ...], span: Span) -> str:
    return " ".join(tokens[span.start : span.end]).casefold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a bundled model's name or a model directory")
    parser.add_argument("--split", default="testa")
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    directory = model_directory(args.model)
    gold = list(load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())[args.split])
    model = load_model(directory)
    with KB(directory / "kb.sqlite") as kb:
        plain = predict_documents(model, gold, KBAccess.for_model(kb, "realistic", model.config))
    truth, before = spans(gold), spans(plain)
    print(run_header())
    print(f"{args.model} on {args.split}: NER micro F1 as annotation returns it {ner_f1(gold, plain):.2f}")
    mentions, names = mixed_names(gold)
    print(f"gold: {mentions} mentions of {names} names carry two labels or more in one document\n")
    print("| vote over | NER F1 | mentions changed | to their gold label | gold mentions undone |")
    print("|---|---|---|---|---|")
    for min_words in (1, 2):
        predicted = [voted(document, min_words) for document in plain]
        after = spans(predicted)
        changed, undone = after - before, (before - after) & truth
        print(
            f"| mentions of {min_words}+ words | {ner_f1(gold, predicted):.2f} | {len(changed)} | "
            f"{len(changed & truth)} | {len(undone)} |"
        )


if __name__ == "__main__":
    main()
