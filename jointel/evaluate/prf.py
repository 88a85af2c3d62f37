"""Counts of true positives, false positives and false negatives, and the precision, recall and F1 they give."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    """Counts for one class or one corpus; scores are in [0, 1] and 0.0 when undefined, as in conlleval.

    conlleval prints precision 0 when nothing was predicted, recall 0 when there is nothing to find, and F1 0
    when precision + recall is 0. Counts add up (`a + b`), so micro scores pool counts before dividing.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        precision, recall = self.precision, self.recall
        return 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    def __add__(self, other: PRF) -> PRF:
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def count(gold: set, pred: set) -> PRF:
    """Exact-match counts of two sets of hashable keys: tp = |gold ∩ pred|, fp = |pred − gold|, fn = |gold − pred|."""
    tp = len(gold & pred)
    return PRF(tp, len(pred) - tp, len(gold) - tp)
