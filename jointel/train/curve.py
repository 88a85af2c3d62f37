"""The training curve: losses and dev scores per epoch, as a PNG beside the model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jointel.data.files import replaced_atomically


def plot_history(history: Sequence[Any], path: Path) -> None:
    """Left: NER and EL training loss; right: dev NER F1, EL F1 and ED accuracy (percent)."""
    from matplotlib.figure import Figure  # here, not at import: ~30 MB that annotating and serving never need

    epochs = [row.epoch for row in history]
    figure = Figure(figsize=(10, 4))
    losses, scores = figure.subplots(1, 2)
    losses.plot(epochs, [row.ner_loss for row in history], marker="o", label="NER loss")
    losses.plot(epochs, [row.el_loss for row in history], marker="o", label="EL loss")
    losses.set_xlabel("epoch")
    losses.legend()
    for name, label in (("dev_ner_f1", "dev NER F1"), ("dev_el_f1", "dev EL F1"), ("dev_ed_accuracy", "dev ED acc")):
        scores.plot(epochs, [100 * getattr(row, name) for row in history], marker="o", label=label)
    scores.set_xlabel("epoch")
    scores.set_ylabel("%")
    scores.legend()
    figure.tight_layout()
    with replaced_atomically(path) as temp:
        figure.savefig(temp, dpi=80, format="png")
