"""Stack-LSTM parser state (Lample et al. 2016 §3; Dyer et al. 2015): summaries of stack, buffer, output, history.

p_t = ReLU(W[s_t; b_t; o_t; a_t] + d), scored against the 6 actions. Two ways to compute the same thing:

- `teacher_forced`: with the gold actions known, each LSTM runs once over whole sequences (buffer: a backward LSTM
  over the sentence; stack: a forward LSTM over each gold chunk's prefixes; output: over the item sequence; history:
  over the actions) and the state of every step is gathered with the indices of `batch.py`.
- `decode`: greedy, one step for all sentences at a time, feeding the same LSTMs one input at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from jointel.data.documents import LABELS, Span
from jointel.model.batch import Batch
from jointel.model.config import ModelConfig
from jointel.model.features import OUT_ID, REDUCE_ID, SHIFT_ID

N_ACTIONS = REDUCE_ID + len(LABELS)
START_ACTION = N_ACTIONS  # embedding row fed before the first action


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of `x` (B, T, ·) within its length, leaving the padding in place."""
    T = x.shape[1]
    positions = torch.arange(T).unsqueeze(0)  # (1, T)
    index = torch.where(positions < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - positions, positions)
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


def legal_mask(stack_size: Tensor, buffer_size: Tensor) -> Tensor:
    """(…, 6) bool: SHIFT needs a buffer word, OUT a buffer word and an empty stack, REDUCE a stack word."""
    shift = buffer_size > 0
    out = shift & (stack_size == 0)
    reduce = (stack_size > 0).unsqueeze(-1).expand(*stack_size.shape, len(LABELS))
    return torch.cat([shift.unsqueeze(-1), out.unsqueeze(-1), reduce], dim=-1)


@dataclass
class Decoded:
    """Greedy decoding of a batch: spans per sentence, and per reduced chunk (in that order) its state and item."""

    spans: list[list[Span]]
    action_scores: list[list[float]]  # per span: probability of its REDUCE
    states: Tensor  # (N, H) p_t at each REDUCE
    items: Tensor  # (N, H) composed chunk representations
    step_states: Tensor  # (B, A, H) p_t at every step


class StackLSTM(nn.Module):
    def __init__(self, config: ModelConfig, token_dim: int):
        super().__init__()
        H = config.hidden
        self.buffer = nn.LSTM(token_dim, H, batch_first=True)
        self.stack = nn.LSTM(token_dim, H, batch_first=True)
        self.compose = nn.LSTM(token_dim, H, batch_first=True, bidirectional=True)
        self.label_embedding = nn.Embedding(len(LABELS), config.label_dim)
        self.chunk_item = nn.Linear(2 * H + config.label_dim, H)
        self.word_item = nn.Linear(token_dim, H)
        self.output = nn.LSTM(H, H, batch_first=True)
        self.action_embedding = nn.Embedding(N_ACTIONS + 1, config.action_dim)
        self.history = nn.LSTM(config.action_dim, H, batch_first=True)
        self.empty = nn.Parameter(torch.zeros(3, H))  # empty stack, buffer, output
        self.state = nn.Linear(4 * H, H)
        self.scorer = nn.Linear(H, N_ACTIONS)
        self.dropout = nn.Dropout(config.dropout)

    def compose_chunks(self, chunk_tokens: Tensor, lengths: Tensor, labels: Tensor) -> Tensor:
        """Chunk representation: BiLSTM over its words + label embedding, through a linear layer (N, H)."""
        packed = nn.utils.rnn.pack_padded_sequence(chunk_tokens, lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, (h, _) = self.compose(packed)  # (2, N, H)
        return torch.tanh(self.chunk_item(torch.cat([h[0], h[1], self.label_embedding(labels)], dim=-1)))

    def teacher_forced(self, tokens: Tensor, batch: Batch) -> tuple[Tensor, Tensor]:
        """Parser states p_t at every gold step (B, A, H) and the composed gold chunks (N, H)."""
        B, T, D = tokens.shape
        H = self.empty.shape[1]
        buffer = reverse_padded(self.buffer(reverse_padded(tokens, batch.lengths))[0], batch.lengths)  # (B, T, H)
        buffer = torch.cat([buffer, self.empty[1].expand(B, 1, H)], dim=1)  # (B, T+1, H)
        at_end = batch.buffer_index >= batch.lengths.unsqueeze(1)
        b = buffer.gather(1, torch.where(at_end, T, batch.buffer_index).unsqueeze(-1).expand(-1, -1, H))
        flat_tokens = tokens.reshape(B * T, D)
        chunk_words = flat_tokens[batch.chunk_tokens]  # (N, Lc, D)
        N = chunk_words.shape[0]
        stack_prefixes = (
            self.stack(chunk_words)[0].reshape(N * chunk_words.shape[1], H) if N else tokens.new_zeros(0, H)
        )
        s = torch.cat([stack_prefixes, self.empty[0].unsqueeze(0)])[batch.stack_index]  # (B, A, H)
        chunks = self.compose_chunks(chunk_words, batch.chunk_lengths, batch.chunk_labels) if N else stack_prefixes
        item_rows = torch.cat([self.word_item(flat_tokens), chunks])  # (B·T + N, H)
        outputs = self.output(item_rows[batch.items])[0]  # (B, K, H)
        outputs = torch.cat([self.empty[2].expand(B, 1, H), outputs], dim=1)  # (B, K+1, H)
        o = outputs.gather(1, batch.output_count.unsqueeze(-1).expand(-1, -1, H))
        previous = torch.cat([torch.full((B, 1), START_ACTION), batch.actions[:, :-1].clamp(min=0)], dim=1)
        a = self.history(self.action_embedding(previous))[0]  # (B, A, H)
        return self.parser_state(s, b, o, a), chunks

    def parser_state(self, s: Tensor, b: Tensor, o: Tensor, a: Tensor) -> Tensor:
        return torch.relu(self.state(self.dropout(torch.cat([s, b, o, a], dim=-1))))

    def action_logits(self, states: Tensor, stack_size: Tensor, buffer_size: Tensor) -> Tensor:
        """Scores of the 6 actions with illegal ones at -inf (…, 6)."""
        logits = self.scorer(self.dropout(states))
        return logits.masked_fill(~legal_mask(stack_size, buffer_size), float("-inf"))

    @torch.no_grad()
    def decode(self, tokens: Tensor, lengths: Tensor, forced: Tensor | None = None) -> Decoded:
        """Greedy decoding of all sentences in parallel; at most 2·T steps.

        `forced` (B, A) makes the decoder take those actions instead of its own choices: with the gold actions, its
        step-by-step states must equal the teacher-forced ones (a test checks it).
        """
        return _GreedyDecoder(self, tokens, lengths, forced).run()


class _GreedyDecoder:
    """The state of a batch during greedy decoding: one LSTM state per sentence for stack, output and history."""

    def __init__(self, model: StackLSTM, tokens: Tensor, lengths: Tensor, forced: Tensor | None = None):
        self.model, self.tokens, self.lengths, self.forced = model, tokens, lengths, forced
        self.step_states: list[Tensor] = []
        B = tokens.shape[0]
        H = model.empty.shape[1]
        buffer = reverse_padded(model.buffer(reverse_padded(tokens, lengths))[0], lengths)
        self.buffer = torch.cat([buffer, model.empty[1].expand(B, 1, H)], dim=1)  # (B, T+1, H)
        self.word_items = model.word_item(tokens)  # (B, T, H)
        self.i = torch.zeros(B, dtype=torch.long)
        self.stack_start = torch.zeros(B, dtype=torch.long)
        zeros = tokens.new_zeros(B, H)
        self.stack_state = (zeros, zeros)
        self.output_state = (zeros, zeros)
        self.o = model.empty[2].expand(B, H)
        start = model.action_embedding(torch.full((B,), START_ACTION))
        self.history_state = _step(model.history, start, (zeros, zeros))
        self.a = self.history_state[0]
        self.spans: list[list[Span]] = [[] for _ in range(B)]
        self.action_scores: list[list[float]] = [[] for _ in range(B)]
        self.reduce_states: list[tuple[int, Tensor, Tensor]] = []

    def run(self) -> Decoded:
        rows = torch.arange(self.tokens.shape[0])
        while True:
            stack_size = self.i - self.stack_start
            buffer_size = self.lengths - self.i
            active = (stack_size > 0) | (buffer_size > 0)
            if not active.any():
                break
            s = torch.where((stack_size > 0).unsqueeze(1), self.stack_state[0], self.model.empty[0])
            b = self.buffer[rows, torch.minimum(self.i, torch.tensor(self.buffer.shape[1] - 1))]
            b = torch.where((buffer_size > 0).unsqueeze(1), b, self.model.empty[1])
            p = self.model.parser_state(s, b, self.o, self.a)
            self.step_states.append(p)
            probabilities = self.model.action_logits(p, stack_size, buffer_size).softmax(-1)
            action = probabilities.argmax(-1)
            if self.forced is not None:
                action = torch.where(active, self.forced[:, len(self.step_states) - 1].clamp(min=0), action)
            self.apply(action, active, p, probabilities)
        return self.finish()

    def apply(self, action: Tensor, active: Tensor, p: Tensor, probabilities: Tensor) -> None:
        B = action.shape[0]
        rows = torch.arange(B)
        position = torch.minimum(self.i, self.lengths.clamp(min=1) - 1)
        token = self.tokens[rows, position]  # (B, D)
        shift = active & (action == SHIFT_ID)
        out = active & (action == OUT_ID)
        reduce = active & (action >= REDUCE_ID)
        # SHIFT: push the word on the stack LSTM (from a zero state when the stack was empty).
        was_empty = (self.i == self.stack_start).unsqueeze(1)
        h0 = torch.where(was_empty, 0.0, self.stack_state[0])
        c0 = torch.where(was_empty, 0.0, self.stack_state[1])
        pushed = _step(self.model.stack, token, (h0, c0))
        self.stack_state = _select(shift, pushed, self.stack_state)
        # OUT and REDUCE: one more item on the output LSTM.
        items = self.word_items[rows, position]
        if reduce.any():
            items = items.clone()
            items[reduce] = self.reduced_items(reduce, action, p, probabilities)
        new_output = _step(self.model.output, items, self.output_state)
        grows = out | reduce
        self.output_state = _select(grows, new_output, self.output_state)
        self.o = torch.where(grows.unsqueeze(1), new_output[0], self.o)
        new_history = _step(self.model.history, self.model.action_embedding(action), self.history_state)
        self.history_state = _select(active, new_history, self.history_state)
        self.a = self.history_state[0]
        self.i = self.i + (shift | out).long()
        self.stack_start = torch.where(out | reduce, self.i, self.stack_start)

    def reduced_items(self, reduce: Tensor, action: Tensor, p: Tensor, probabilities: Tensor) -> Tensor:
        """Compose the chunks reduced at this step and record their spans, states and items."""
        index = reduce.nonzero().squeeze(1)
        starts, ends = self.stack_start[index], self.i[index]
        width = int((ends - starts).max())
        offsets = torch.clamp(starts.unsqueeze(1) + torch.arange(width), max=self.tokens.shape[1] - 1)
        words = self.tokens[index.unsqueeze(1), offsets]  # (R, W, D)
        labels = action[index] - REDUCE_ID
        items = self.model.compose_chunks(words, ends - starts, labels)
        for row, b in enumerate(index.tolist()):
            label = LABELS[int(labels[row])]
            self.spans[b].append(Span(int(starts[row]), int(ends[row]), label))
            self.action_scores[b].append(float(probabilities[b, action[b]]))
            self.reduce_states.append((b, p[b], items[row]))
        return items

    def finish(self) -> Decoded:
        """Order reduced chunks sentence by sentence, span by span, as `spans` lists them."""
        H = self.model.empty.shape[1]
        ordered = sorted(range(len(self.reduce_states)), key=lambda k: (self.reduce_states[k][0], k))
        states = [self.reduce_states[k][1] for k in ordered]
        items = [self.reduce_states[k][2] for k in ordered]
        empty = self.tokens.new_zeros(0, H)
        return Decoded(
            self.spans,
            self.action_scores,
            torch.stack(states) if states else empty,
            torch.stack(items) if items else empty,
            torch.stack(self.step_states, dim=1) if self.step_states else empty.unsqueeze(0),
        )


def _step(lstm: nn.LSTM, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """One step of a one-layer `nn.LSTM` as a cell: (B, D) input, (B, H) states; much cheaper than a call."""
    return torch.lstm_cell(x, state, lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0)


def _select(mask: Tensor, new: tuple[Tensor, Tensor], old: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    keep = mask.unsqueeze(1)
    return torch.where(keep, new[0], old[0]), torch.where(keep, new[1], old[1])
