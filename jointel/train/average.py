"""An exponential moving average of the weights during training (Polyak averaging).

Dev scores of the raw weights swing by up to 1.5 points between epochs (Adam at a constant learning rate keeps
moving); their running average sits in the middle of those swings, and costs nothing at inference. Dev evaluation
and the saved model use the average (`swapped_in`); training goes on from the raw weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """avg ← avg + (1 − d)(w − avg) after each step, with d = min(decay, (1 + t) / (10 + t)) at step t: early
    steps weigh more, so the average is not anchored to the random initial weights."""

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight average decay must be in (0, 1), not {decay}")
        self.decay = decay
        self.parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
        self.average = [parameter.detach().clone() for parameter in self.parameters]
        self.steps = 0

    @torch.no_grad()
    def update(self) -> None:
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        torch._foreach_lerp_(self.average, [parameter.detach() for parameter in self.parameters], 1.0 - decay)
        self.steps += 1

    @contextmanager
    def swapped_in(self) -> Iterator[None]:
        """Within it the model's parameters hold the average; the raw weights come back on exit."""
        with torch.no_grad():
            raw = [parameter.detach().clone() for parameter in self.parameters]
            for parameter, average in zip(self.parameters, self.average, strict=True):
                parameter.copy_(average)
        try:
            yield
        finally:
            with torch.no_grad():
                for parameter, weights in zip(self.parameters, raw, strict=True):
                    parameter.copy_(weights)

    def state_dict(self) -> dict:
        return {"average": self.average, "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        with torch.no_grad():
            for average, saved in zip(self.average, state["average"], strict=True):
                average.copy_(saved)
        self.steps = state["steps"]
