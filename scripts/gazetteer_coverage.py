"""How much each NER gazetteer knows of CoNLL's names and of today's: why the default model reads Wikipedia's names.

For each gazetteer (`ModelConfig.gazetteer_source`: the AIDA KB's typed aliases, or every name of the Wikipedia KB)
and each split: the share of gold mentions whose words it knows as a name, the share whose exact span it marks (its
longest match from a capitalised word: "Germany ." is one key, so a mention before a full stop is overshot unless
matches end on a word, `ModelConfig.gazetteer_word_end`), the share of tokens inside gold mentions it marks at all,
and the share of capitalised tokens outside them it marks (its false alarms); then the same for the expected mentions
of the hand-made sentences of modern text (`--cases`). A feature that knows most of CoNLL's names and few of today's
teaches a model to trust it where it will be silent.

    .venv/bin/python scripts/gazetteer_coverage.py [--cases data/wikipedia_dev.jsonl] [--out RESULTS.md]
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path

from jointel.annotate import split_sentences
from jointel.cli import (
    default_cache_dir,
    default_kb_path,
    default_wikipedia_kb_path,
    resolve_data_dir,
    run_header,
    write_section,
)
from jointel.data import Sentence, Span, load_corpus
from jointel.evaluate import read_link_cases
from jointel.kb import KB, normalize
from jointel.model import Gazetteer, TitleGazetteer

REPO = Path(__file__).resolve().parents[1]
SPLITS = ("train", "testa", "testb")


def marked_spans(codes: Sequence[int]) -> set[tuple[int, int]]:
    """The [start, end) spans a gazetteer's codes mark: a name starts at an odd code, goes on at even non-zero ones."""
    spans, start = set(), None
    for i, code in enumerate((*codes, 0)):
        if start is not None and (code == 0 or code % 2 == 1):
            spans.add((start, i))
            start = None
        if code % 2 == 1:
            start = i
    return spans


def coverage(sentences: Iterable[tuple[Sentence, Gazetteer]]) -> tuple[float, float, float, float]:
    """(gold mentions that are names it knows, gold spans it marks exactly, gold tokens it marks, capitalised tokens
    outside gold it marks), in percent."""
    gold = known = exact = inside = inside_marked = outside = outside_marked = 0
    for sentence, gazetteer in sentences:
        codes = gazetteer.codes(sentence.tokens)
        spans = {(span.start, span.end) for span in sentence.spans}
        gold += len(spans)
        known += sum(normalize(" ".join(sentence.tokens[start:end])) in gazetteer.table for start, end in spans)
        exact += len(spans & marked_spans(codes))
        in_gold = {t for start, end in spans for t in range(start, end)}
        for t, token in enumerate(sentence.tokens):
            if t in in_gold:
                inside, inside_marked = inside + 1, inside_marked + (codes[t] > 0)
            elif token[:1].isupper():
                outside, outside_marked = outside + 1, outside_marked + (codes[t] > 0)
    return 100 * known / gold, 100 * exact / gold, 100 * inside_marked / inside, 100 * outside_marked / outside


def case_sentences(path: Path) -> list[Sentence]:
    """The hand-made sentences as the annotator tokenizes them, each expected mention found by its words."""
    sentences = []
    for case in read_link_cases(path):
        mentions = {tuple(token.text for token in next(split_sentences(mention))) for mention, _ in case.links}
        for tokens in split_sentences(case.text):
            words = tuple(token.text for token in tokens)
            sentences.append(Sentence(words, tuple(_found(words, mentions))))
    return sentences


def _found(words: tuple[str, ...], mentions: set[tuple[str, ...]]) -> Iterable[Span]:
    for start in range(len(words)):
        for end in range(start + 1, len(words) + 1):
            if words[start:end] in mentions:
                yield Span(start, end, "MISC")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=REPO / "data" / "wikipedia_dev.jsonl")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = parser.parse_args()
    corpus = load_corpus(resolve_data_dir(args.data_dir), default_cache_dir())
    documents = {split: [list(d.sentences) for d in corpus[split]] for split in SPLITS}
    documents["sentences"] = [[sentence] for sentence in case_sentences(args.cases)]
    lines = [
        run_header(),
        "| gazetteer | text | gold mentions it knows as names | gold mentions it marks exactly | gold tokens it marks "
        "| capitalised tokens outside gold it marks |",
        "|---|---|---|---|---|---|",
    ]
    with KB(default_kb_path()) as aida, KB(default_wikipedia_kb_path()) as wikipedia:
        for name, gazetteer in (
            ("AIDA KB aliases", Gazetteer(aida.alias_table())),
            ("Wikipedia's names", TitleGazetteer(wikipedia)),
            ("Wikipedia's names, ending on a word", TitleGazetteer(wikipedia, word_end=True)),
        ):
            for text, docs in documents.items():
                pairs = ((s, gazetteer.for_document([x.tokens for x in doc])) for doc in docs for s in doc)
                shares = coverage(pairs)
                lines.append(f"| {name} | {text} | " + " | ".join(f"{share:.1f}" for share in shares) + " |")
    text = "### Gazetteer coverage: CoNLL's names and today's\n\n" + "\n".join(lines) + "\n"
    print(text)
    if args.out:
        write_section(args.out, "gazetteer-coverage", text)


if __name__ == "__main__":
    main()
