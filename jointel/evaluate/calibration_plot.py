"""The picture of a NIL threshold calibration, as a PNG beside the model: reliability diagram and F1 by threshold."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jointel.data.files import replaced_atomically
from jointel.evaluate.calibrate import Calibration, ReliabilityBin

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_calibration(calibration: Calibration, path: Path) -> None:
    """Left: accuracy of the links per confidence bin against the diagonal, link counts as bars behind;
    right: EL strong-match micro F1 (percent) for each threshold, the chosen one marked."""
    from matplotlib.figure import Figure  # here, not at import: ~30 MB that annotating and serving never need

    figure = Figure(figsize=(10, 4))
    reliability, sweep = figure.subplots(1, 2)
    _plot_reliability(reliability, calibration.bins)
    _plot_sweep(sweep, calibration)
    figure.tight_layout()
    with replaced_atomically(path) as temp:
        figure.savefig(temp, dpi=80, format="png")


def _plot_reliability(axes: Axes, bins: Sequence[ReliabilityBin]) -> None:
    counts = axes.twinx()
    counts.bar(
        [(b.lower + b.upper) / 2 for b in bins],
        [b.count for b in bins],
        width=[0.9 * (b.upper - b.lower) for b in bins],
        color="grey",
        alpha=0.25,
    )
    counts.set_ylabel("links")
    axes.set_zorder(counts.get_zorder() + 1)  # the accuracy line in front of the count bars
    axes.patch.set_visible(False)
    axes.plot([0, 1], [0, 1], linestyle="--", color="black", label="perfect calibration")
    axes.plot([b.mean_confidence for b in bins], [b.accuracy for b in bins], marker="o", label="accuracy")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("link probability")
    axes.set_ylabel("fraction of links correct")
    axes.set_title("reliability of links")
    axes.legend(loc="upper left")


def _plot_sweep(axes: Axes, calibration: Calibration) -> None:
    scores = [score for score in calibration.sweep if score.threshold is not None]
    axes.plot([s.threshold for s in scores], [100 * s.counts.f1 for s in scores], label="with threshold")
    axes.axhline(100 * calibration.before.f1, linestyle="--", color="grey", label="no threshold")
    if calibration.threshold is not None:
        axes.axvline(calibration.threshold, linestyle=":", color="red", label=f"chosen {calibration.threshold:.4f}")
    axes.set_xlim(0, 1)
    axes.set_xlabel("NIL threshold (links below it become NIL)")
    axes.set_ylabel("EL strong-match micro F1 (%)")
    axes.set_title("EL F1 by threshold")
    axes.legend(loc="lower left")
