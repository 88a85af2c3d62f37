"""NIL threshold calibration: the link probability below which a predicted link becomes NIL, chosen on dev.

A link whose probability (`Prediction.el_score`) is below the threshold becomes NIL, exactly as in `Annotator`.
Under the EL scorer (`el.py`: strong match, InKB) each predicted link is on its own a true positive, a false positive
or discarded (it sits on a gold NIL or unannotated span), and the counts of a corpus are the sums over its links. So
making a link NIL moves a true positive to the false negatives, removes a false positive, or changes nothing, and one
pass over the links sorted by probability gives the counts of every threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from fractions import Fraction

from jointel.data.documents import Document, Sentence, Span
from jointel.evaluate.el import el_scores
from jointel.evaluate.prf import PRF
from jointel.model.joint import Prediction
from jointel.model.predict import with_predictions

Predictions = Sequence[Sequence[Sequence[Prediction]]]  # per document, per sentence, as `model.predict.predict`
NIL_BIASES = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0)  # tried by `calibrate_nil`: 8 leaves NIL to the threshold alone


class Outcome(Enum):
    """What the EL scorer makes of one predicted link."""

    CORRECT = "correct"  # a true positive: position and entity equal a gold link
    WRONG = "wrong"  # a false positive
    DISCARDED = "discarded"  # on a gold NIL or unannotated span: neither (InKB)


@dataclass(frozen=True)
class ScoredLink:
    """A predicted link: the linker's probability of its entity, and whether the EL scorer counts it right."""

    confidence: float
    outcome: Outcome


@dataclass(frozen=True)
class ThresholdScore:
    """EL strong-match micro counts once the links below `threshold` are NIL (None: no threshold, all kept)."""

    threshold: float | None
    counts: PRF
    made_nil: int  # predicted links below the threshold


@dataclass(frozen=True)
class ReliabilityBin:
    """Counted links whose confidence is in [lower, upper) (the last bin includes 1.0)."""

    lower: float
    upper: float
    mean_confidence: float
    accuracy: float  # fraction of these links that are correct
    count: int


@dataclass(frozen=True)
class Calibration:
    """The chosen threshold, EL micro counts before and after it (from `el_scores`), and what the plot shows."""

    threshold: float | None  # None when no threshold beats keeping every link
    before: PRF
    after: PRF
    made_nil: int
    links: int  # predicted links before the threshold
    sweep: list[ThresholdScore]
    bins: list[ReliabilityBin]


def predicted_documents(
    documents: Sequence[Document], predictions: Predictions, nil_threshold: float | None = None
) -> list[Document]:
    """Copies of `documents` whose spans are the predicted ones, links below `nil_threshold` made NIL."""
    pairs = zip(documents, predictions, strict=True)
    return [with_predictions(document, rows, nil_threshold) for document, rows in pairs]


def scored_links(gold_docs: Sequence[Document], predictions: Predictions) -> list[ScoredLink]:
    """Every predicted link with its probability and its outcome under the EL scorer."""
    return [
        ScoredLink(prediction.el_score, _outcome(gold, index, prediction.span))
        for gold, rows in zip(gold_docs, predictions, strict=True)
        for index, row in enumerate(rows)
        for prediction in row
        if prediction.span.entity is not None
    ]


def threshold_sweep(links: Sequence[ScoredLink], gold_links: int) -> list[ThresholdScore]:
    """Counts with no threshold, then with each distinct confidence as the threshold, lowest first.

    Thresholds between two confidences keep the same links as the higher one, so these are all the outcomes.
    """
    ordered = sorted(links, key=lambda link: link.confidence)
    tp = sum(link.outcome is Outcome.CORRECT for link in ordered)
    fp = sum(link.outcome is Outcome.WRONG for link in ordered)
    sweep = [ThresholdScore(None, PRF(tp, fp, gold_links - tp), 0)]
    below = 0
    for threshold in sorted({link.confidence for link in ordered}):
        while ordered[below].confidence < threshold:
            tp -= ordered[below].outcome is Outcome.CORRECT
            fp -= ordered[below].outcome is Outcome.WRONG
            below += 1
        sweep.append(ThresholdScore(threshold, PRF(tp, fp, gold_links - tp), below))
    return sweep


def best_threshold(sweep: Sequence[ThresholdScore]) -> ThresholdScore:
    """The entry of highest F1; on a tie the lowest threshold (no threshold first), which makes fewest links NIL.

    F1 is compared as the exact fraction 2tp / (2tp + fp + fn), so equal scores tie despite float rounding.
    """
    return max(sweep, key=lambda score: _exact_f1(score.counts))  # max keeps the first of equal keys


def reliability_bins(links: Sequence[ScoredLink], n_bins: int = 10) -> list[ReliabilityBin]:
    """Mean confidence and accuracy of the counted links in `n_bins` equal-width confidence bins (empty bins left out).

    Discarded links are left out too: the scorer calls them neither right nor wrong.
    """
    members: list[list[ScoredLink]] = [[] for _ in range(n_bins)]
    for link in links:
        if link.outcome is not Outcome.DISCARDED:
            members[min(int(link.confidence * n_bins), n_bins - 1)].append(link)
    return [
        ReliabilityBin(
            lower=index / n_bins,
            upper=(index + 1) / n_bins,
            mean_confidence=sum(link.confidence for link in inside) / len(inside),
            accuracy=sum(link.outcome is Outcome.CORRECT for link in inside) / len(inside),
            count=len(inside),
        )
        for index, inside in enumerate(members)
        if inside
    ]


def calibrate(gold_docs: Sequence[Document], predictions: Predictions, n_bins: int = 10) -> Calibration:
    """The threshold that maximises EL strong-match micro F1 of `predictions` against `gold_docs` (the dev split).

    Before and after are scored by `el_scores` itself on the predicted documents, not taken from the sweep.
    """
    before = el_scores(gold_docs, predicted_documents(gold_docs, predictions)).micro
    links = scored_links(gold_docs, predictions)
    sweep = threshold_sweep(links, before.tp + before.fn)
    best = best_threshold(sweep)
    after = el_scores(gold_docs, predicted_documents(gold_docs, predictions, best.threshold)).micro
    return Calibration(best.threshold, before, after, best.made_nil, len(links), sweep, reliability_bins(links, n_bins))


@dataclass(frozen=True)
class BiasTrial:
    """One NIL bias tried by `calibrate_nil`: the threshold calibration under it, and the second dev set's score."""

    bias: float
    calibration: Calibration
    also: float | None = None


def calibrate_nil(
    gold_docs: Sequence[Document],
    predictions: Predictions,
    biases: Sequence[float] = NIL_BIASES,
    also: Callable[[float, float | None], float] | None = None,
) -> tuple[BiasTrial, list[BiasTrial]]:
    """The NIL bias (`Prediction.with_nil_bias`) and threshold that maximise EL micro F1 on the dev split, and every
    bias tried: each bias with its best threshold; on a tie the smallest bias, which changes the model's own
    decisions least.

    `also(bias, threshold)`, a score in [0, 1] on a second dev set (hand-made sentences of modern text: AIDA's NILs
    are 1996 names, not today's), is added to the F1 when the bias is chosen; the threshold stays AIDA's."""
    if not biases:
        raise ValueError("no NIL bias to try")
    trials = []
    for bias in biases:
        result = calibrate(gold_docs, with_nil_bias(predictions, bias))
        trials.append(BiasTrial(bias, result, also(bias, result.threshold) if also is not None else None))
    best = max(trials, key=lambda trial: _exact_f1(trial.calibration.after) + Fraction(trial.also or 0))
    return best, trials


def with_nil_bias(predictions: Predictions, bias: float) -> list[list[list[Prediction]]]:
    """`predictions` decided with NIL's log-odds lowered by `bias` (`Prediction.with_nil_bias`)."""
    return [[[p.with_nil_bias(bias) for p in row] for row in rows] for rows in predictions]


def _outcome(gold: Document, index: int, span: Span) -> Outcome:
    """The EL scorer's verdict on this one link: corpus counts are sums over links, so scoring it alone is exact."""
    alone = tuple(
        Sentence(sentence.tokens, (span,) if number == index else ()) for number, sentence in enumerate(gold.sentences)
    )
    counts = el_scores([gold], [replace(gold, sentences=alone)]).micro
    if counts.tp:
        return Outcome.CORRECT
    return Outcome.WRONG if counts.fp else Outcome.DISCARDED


def _exact_f1(counts: PRF) -> Fraction:
    return Fraction(2 * counts.tp, 2 * counts.tp + counts.fp + counts.fn) if counts.tp else Fraction(0)
