import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from jointel.model.lstm_steps import Cell, FinalStates


def test_cell_steps_as_nn_lstm():
    torch.manual_seed(0)
    lstm = nn.LSTM(6, 5, batch_first=True)
    x = torch.randn(3, 4, 6)
    expected, _ = lstm(x)
    cell = Cell.of(lstm)
    state = (torch.zeros(3, 5), torch.zeros(3, 5))
    with torch.no_grad():
        for t in range(4):
            state = cell.step(cell.input_gates(x[:, t]), state)
            torch.testing.assert_close(state[0], expected[:, t].detach(), atol=1e-6, rtol=0)


def test_final_states_of_sequences_given_flat_as_a_packed_bilstm():
    """Sequences of lengths 3, 1, 4, 2 stored one after the other in a flat (10, D) tensor, out of length order."""
    torch.manual_seed(1)
    lstm = nn.LSTM(6, 5, batch_first=True, bidirectional=True)
    lengths = torch.tensor([3, 1, 4, 2])
    flat = torch.randn(int(lengths.sum()), 6)
    first = torch.cumsum(lengths, 0) - lengths
    padded = torch.zeros(4, 4, 6)
    for row, (start, length) in enumerate(zip(first.tolist(), lengths.tolist(), strict=True)):
        padded[row, :length] = flat[start : start + length]
    _, (h, _) = lstm(pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False))
    with torch.no_grad():
        got = FinalStates.of(lstm)(flat, first, lengths)
    torch.testing.assert_close(got, torch.cat([h[0], h[1]], dim=-1).detach(), atol=1e-6, rtol=0)
