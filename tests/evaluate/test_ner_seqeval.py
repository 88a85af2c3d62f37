"""Cross-check of the NER scorer against seqeval (default, conlleval-compatible mode) on perturbed predictions.

Gold tags are IOB1 as in CoNLL-2003; predictions are span sets turned into BIO tags with `spans_to_tags`. Both
scorers see the same tag sequences: ours reads them with `tags_to_spans`, seqeval with its own chunker.
"""

import random
from pathlib import Path

import pytest
from seqeval.metrics import f1_score, precision_score, recall_score
from seqeval.metrics.sequence_labeling import get_entities, precision_recall_fscore_support

from jointel.data.documents import LABELS, Span
from jointel.data.tags import spans_to_tags, tags_to_spans
from jointel.evaluate.ner import ner_scores

KINDS = ("drop", "shift", "relabel", "spurious", "mixed")

# IOB1 sentences covering the chunk rules: I- opens a mention, B- only between adjacent mentions of one type,
# a type change inside a run of I- tags starts a new mention.
SMALL_GOLD = [
    ["I-ORG", "O", "I-MISC", "O", "O", "O", "I-MISC", "O", "O"],
    ["I-PER", "I-PER"],
    ["I-LOC", "O"],
    ["I-LOC", "O", "O", "O", "O", "I-LOC", "O", "O", "O", "O", "O", "I-LOC", "I-LOC", "O"],
    ["I-PER", "I-PER", "B-PER", "I-PER", "O", "I-ORG", "I-LOC", "I-LOC", "O"],
    ["O", "O", "O"],
    ["I-MISC", "I-MISC", "I-MISC", "B-MISC", "O", "I-ORG", "I-ORG", "I-ORG", "O", "I-PER"],
]


def _perturb(n_tokens: int, spans: list[Span], kind: str, rng: random.Random) -> list[Span]:
    """Predicted spans: gold spans dropped, shifted, relabelled, or joined by spurious ones; never overlapping."""
    changed = []
    for span in spans:
        action = rng.choice(("drop", "shift", "relabel")) if kind == "mixed" else kind
        if rng.random() > 0.3 or action == "spurious":
            changed.append(span)
        elif action == "shift":
            start = min(n_tokens - 1, max(0, span.start + rng.choice((-1, 0, 1))))
            end = min(n_tokens, max(start + 1, span.end + rng.choice((-1, 0, 1))))
            changed.append(Span(start, end, span.label))
        elif action == "relabel":
            changed.append(Span(span.start, span.end, rng.choice([label for label in LABELS if label != span.label])))
    if kind in ("spurious", "mixed") and n_tokens and rng.random() < 0.5:
        start = rng.randrange(n_tokens)
        changed.append(Span(start, min(n_tokens, start + rng.randint(1, 3)), rng.choice(LABELS)))
    return _without_overlaps(changed)


def _without_overlaps(spans: list[Span]) -> list[Span]:
    kept: list[Span] = []
    for span in sorted(spans, key=lambda span: (span.start, span.end)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def _assert_same_as_seqeval(gold_tags: list[list[str]], kind: str, seed: int) -> None:
    rng = random.Random(seed)
    gold = [tags_to_spans(tags, scheme="iob1") for tags in gold_tags]
    pred_tags = [
        spans_to_tags(len(tags), _perturb(len(tags), spans, kind, rng))
        for tags, spans in zip(gold_tags, gold, strict=True)
    ]
    pred = [tags_to_spans(tags, scheme="bio") for tags in pred_tags]
    scores = ner_scores(gold, pred)

    assert scores.micro.precision == pytest.approx(precision_score(gold_tags, pred_tags), abs=1e-4)
    assert scores.micro.recall == pytest.approx(recall_score(gold_tags, pred_tags), abs=1e-4)
    assert scores.micro.f1 == pytest.approx(f1_score(gold_tags, pred_tags), abs=1e-4)

    precision, recall, f1, support = precision_recall_fscore_support(gold_tags, pred_tags, zero_division=0)
    predicted = [entity[0] for entity in get_entities(pred_tags)]
    assert sorted(scores.per_type) == sorted({entity[0] for entity in get_entities(gold_tags)} | set(predicted))
    for index, label in enumerate(sorted(scores.per_type)):
        ours = scores.per_type[label]
        assert ours.tp + ours.fn == support[index]
        assert ours.tp == round(recall[index] * support[index])
        assert ours.tp + ours.fp == predicted.count(label)
        assert (ours.precision, ours.recall, ours.f1) == pytest.approx(
            (precision[index], recall[index], f1[index]), abs=1e-4
        )


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(4))
def test_ner_scores_match_seqeval_on_small_fixture(kind, seed):
    _assert_same_as_seqeval(SMALL_GOLD, kind, seed)


def _read_conll_tags(path: Path) -> list[list[str]]:
    """NER tags (4th of 4 space-separated columns) of each sentence of a CoNLL-2003 file."""
    sentences, current = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            if current:
                sentences.append(current)
            current = []
        else:
            current.append(line.split(" ")[3])
    return sentences + ([current] if current else [])


@pytest.fixture(scope="module")
def testb_tags(real_data_dir: Path) -> list[list[str]]:
    """IOB1 tags of CoNLL-2003 testb; `real_data_dir` (tests/conftest.py) skips when the data is absent."""
    return _read_conll_tags(real_data_dir / "conll2003" / "eng.testb")


@pytest.mark.data
def test_conll_testb_reference_counts(testb_tags):
    # CoNLL-2003 testb: 3,453 sentences and 5,648 entities (paper.md, "Evaluation conventions")
    assert len(testb_tags) == 3453
    assert sum(len(tags_to_spans(tags)) for tags in testb_tags) == 5648


@pytest.mark.data
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("seed", range(2))
def test_ner_scores_match_seqeval_on_conll_testb(testb_tags, kind, seed):
    _assert_same_as_seqeval(testb_tags, kind, seed)
