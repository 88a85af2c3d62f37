"""Where a model's disambiguation (ED: gold mentions, best candidate, never NIL) goes wrong on a split, and what
linking a partly named mention as the full name (`share_person_links`) would mend, per entity type.

Prints: gold InKB mentions, ED accuracy without and with the rule as shipped (PER), the gold entity missing from the
candidates, ranking errors (gold among the candidates, another chosen) by type, how many of those have a longer
mention of the same entity in the story, the rule applied to other types (mended, broken, ED change), and the most
frequent errors. Tune on testa only.

    .venv/bin/python scripts/ed_errors.py [--model default] [--split testa] [--kb .cache/kb-wikipedia.sqlite]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from jointel.annotate import model_directory
from jointel.cli import default_cache_dir, default_wikipedia_kb_path, resolve_data_dir, run_header
from jointel.data import Document, load_corpus
from jointel.kb import KB
from jointel.model import KBAccess, link_given_spans, load_model, share_person_links

RULES = {"PER (shipped)": ("PER",), "PER, ORG": ("PER", "ORG"), "every type": ("PER", "ORG", "LOC", "MISC")}


def gold_links(documents: list[Document], rows) -> list[tuple[int, str, str, object]]:
    """(document number, mention text, gold entity, prediction) of every gold InKB mention."""
    found = []
    for document, sentences in zip(documents, rows, strict=True):
        for sentence, predictions in zip(document.sentences, sentences, strict=True):
            gold = {(span.start, span.end): span.entity for span in sentence.spans}
            for prediction in predictions:
                entity = gold.get((prediction.span.start, prediction.span.end))
                if entity is not None:
                    text = " ".join(sentence.tokens[prediction.span.start : prediction.span.end])
                    found.append((document.number, text, entity, prediction))
    return found


def with_rule(documents: list[Document], rows, labels: tuple[str, ...]):
    return [
        share_person_links(sentences, [s.tokens for s in document.sentences], labels)
        for document, sentences in zip(documents, rows, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="a bundled model's name or a model directory")
    parser.add_argument("--split", default="testa")
    parser.add_argument("--kb", type=Path, default=None, help="default: the Wikipedia KB")
    parser.add_argument("--protocol", default="wikipedia")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--top", type=int, default=30, help="most frequent errors listed")
    args = parser.parse_args()
    documents = list(load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())[args.split])
    model = load_model(model_directory(args.model))
    with KB(args.kb or default_wikipedia_kb_path()) as kb:
        access = KBAccess.for_model(kb, args.protocol, model.config)
        plain = link_given_spans(model, documents, access, allow_nil=False, coreference=False)
    links = gold_links(documents, plain)
    right = [prediction.span.entity == gold for _, _, gold, prediction in links]
    listed = [gold in dict(prediction.candidates) for _, _, gold, prediction in links]
    ranking = [i for i, (ok, inside) in enumerate(zip(right, listed, strict=True)) if inside and not ok]
    longer = {
        i
        for i in ranking
        if any(
            other_gold == links[i][2] and len(text.split()) > len(links[i][1].split())
            for number, text, other_gold, _ in links
            if number == links[i][0]
        )
    }
    n = len(links)
    print(run_header())
    print(f"{args.model} on {args.split}, {args.protocol} candidates from {kb.path.name}: {n:,} gold InKB mentions")
    print(f"- ED without the rule: {100 * sum(right) / n:.2f}; gold not among the candidates: {n - sum(listed):,}")
    by_type = Counter(links[i][3].span.label for i in ranking)
    print(f"- ranking errors: {len(ranking):,} ({', '.join(f'{k} {v}' for k, v in by_type.most_common())})")
    print(f"- of them with a longer mention of the same entity in the story: {len(longer):,}")
    for name, labels in RULES.items():
        ruled = gold_links(documents, with_rule(documents, plain, labels))
        mended = sum(not ok and p.span.entity == gold for ok, (_, _, gold, p) in zip(right, ruled, strict=True))
        broken = sum(ok and p.span.entity != gold for ok, (_, _, gold, p) in zip(right, ruled, strict=True))
        print(
            f"- the rule for {name}: mends {mended}, breaks {broken}, ED {100 * (sum(right) + mended - broken) / n:.2f}"
        )
    print(f"\nMost frequent ranking errors (count, mention, gold → chosen), top {args.top}:")
    errors = Counter((links[i][1], links[i][2], links[i][3].span.entity) for i in ranking)
    for (text, gold, chosen), count in errors.most_common(args.top):
        print(f"{count:4d}  {text!r}: {gold} → {chosen}")


if __name__ == "__main__":
    main()
