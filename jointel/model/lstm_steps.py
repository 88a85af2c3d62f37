"""One-layer LSTMs stepped by hand at inference, where `nn.LSTM` costs more than its arithmetic: a few rows per step
(the greedy decoder), or short sequences whose final states alone are read (the chunks it composes).

Two savings, both exact up to float rounding (tests compare with `nn.LSTM`): the rows of the cell-input gate g are
doubled in the weights, so that one sigmoid gives every gate, as tanh(g) = 2σ(2g) − 1 (torch's tanh costs this CPU
twice a sigmoid, and more on the strided slice of g: 3.8 ms against 1.7 for a step of 933 rows); and a BiLSTM's two
directions step together, as batched matrix products over a leading dimension of 2.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class Cell:
    """One direction of a one-layer `nn.LSTM` (`suffix` "_reverse": its backward one), g's rows doubled."""

    w_ih: Tensor  # (4H, D)
    bias: Tensor  # (4H,): both of nn.LSTM's biases
    w_hh: Tensor  # (H, 4H): transposed for addmm

    @classmethod
    def of(cls, lstm: nn.LSTM, suffix: str = "") -> Cell:
        H = lstm.hidden_size
        scale = torch.ones(4 * H, 1)
        scale[2 * H : 3 * H] = 2.0
        weight_ih, weight_hh = (getattr(lstm, f"weight_{kind}_l0{suffix}") for kind in ("ih", "hh"))
        bias = getattr(lstm, f"bias_ih_l0{suffix}") + getattr(lstm, f"bias_hh_l0{suffix}")
        return cls(weight_ih * scale, bias * scale[:, 0], (weight_hh * scale).t().contiguous())

    def input_gates(self, x: Tensor) -> Tensor:
        """The input's share of the gates, both biases included (…, 4H)."""
        return nn.functional.linear(x, self.w_ih, self.bias)

    def step(self, gates: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        return step(gates, state, self.w_hh)


def step(gates: Tensor, state: tuple[Tensor, Tensor] | None, w_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step from the input's share of the gates (B, 4H), or (2, B, 4H) for two directions at once, with
    g's rows doubled (see `Cell`): `nn.LSTM`'s arithmetic (gates i, f, g, o). `state` None is the zero state."""
    if state is not None:
        gates = (torch.addmm if gates.dim() == 2 else torch.baddbmm)(gates, state[0], w_hh)
    i, f, g, o = gates.sigmoid().chunk(4, dim=-1)
    cell_input = torch.addcmul(-i, i, g, value=2.0)  # i·tanh(g), as i·(2σ(2g) − 1)
    c = cell_input if state is None else torch.addcmul(cell_input, f, state[1])
    return o * torch.tanh(c), c


@dataclass(frozen=True)
class FinalStates:
    """The final hidden states of a one-layer bidirectional `nn.LSTM` over sequences of any lengths, given flat.

    Only real steps are computed: sequences are taken longest first, so that those still reading at step t are the
    first n_t, and the inputs of step t are one slice of the gates (PackedSequence's layout)."""

    w_ih: Tensor  # (2, D, 4H): forward, backward
    bias: Tensor  # (2, 1, 4H)
    w_hh: Tensor  # (2, H, 4H)

    @classmethod
    def of(cls, lstm: nn.LSTM) -> FinalStates:
        cells = Cell.of(lstm), Cell.of(lstm, "_reverse")
        return cls(
            torch.stack([cell.w_ih.t() for cell in cells]),
            torch.stack([cell.bias.unsqueeze(0) for cell in cells]),
            torch.stack([cell.w_hh for cell in cells]),
        )

    def __call__(self, inputs: Tensor, first: Tensor, lengths: Tensor) -> Tensor:
        """(R, 2H): [forward; backward] final states of R sequences, each `lengths` rows of `inputs` (N, D) from
        row `first` on (every length ≥ 1)."""
        order = torch.argsort(lengths, descending=True, stable=True)
        first, lengths = first[order], lengths[order]
        steps = torch.arange(int(lengths[0]))
        reading = steps.unsqueeze(1) < lengths  # (W, R), step-major: each step's sequences are a prefix
        counts = reading.sum(1).tolist()
        forward = (first + steps.unsqueeze(1))[reading]
        backward = (first + lengths - 1 - steps.unsqueeze(1))[reading]  # each sequence's rows, last first
        gates = torch.baddbmm(self.bias, inputs[torch.stack([forward, backward])], self.w_ih)  # (2, Σ lengths, 4H)
        h, c = step(gates[:, : counts[0]], None, self.w_hh)
        done = counts[0]
        for n in counts[1:]:
            h_n, c_n = step(gates[:, done : done + n], (h[:, :n], c[:, :n]), self.w_hh)
            h[:, :n], c[:, :n] = h_n, c_n
            done += n
        return torch.cat([h[0], h[1]], dim=-1)[torch.argsort(order)]  # the sequences' own order
