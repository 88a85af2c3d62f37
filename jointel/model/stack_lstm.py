"""Stack-LSTM parser state (Lample et al. 2016 §3; Dyer et al. 2015): summaries of stack, buffer, output, history.

p_t = ReLU(W[s_t; b_t; o_t; a_t] + d), scored against the 6 actions. Two ways to compute the same thing:

- `teacher_forced`: with the gold actions known, each LSTM runs once over whole sequences (buffer: a backward LSTM
  over the sentence; stack: a forward LSTM over each gold chunk's prefixes; output: over the item sequence; history:
  over the actions) and the state of every step is gathered with the indices of `batch.py`.
- `decode`: greedy, one step for all sentences at a time, feeding the same LSTMs one input at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from jointel.data.documents import LABELS, Span
from jointel.model.actions import OUT_ID, REDUCE_ID, SHIFT_ID
from jointel.model.batch import Batch
from jointel.model.config import ModelConfig
from jointel.model.lstm_steps import Cell, FinalStates

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
        buffer = self.buffer_summaries(tokens, batch.lengths)  # (B, T, H)
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
        """Greedy decoding of a padded batch (B, T, D), all sentences in parallel; at most 2·T steps.

        `forced` (B, A) makes the decoder take those actions instead of its own choices: with the gold actions, its
        step-by-step states must equal the teacher-forced ones (a test checks it).
        """
        inside = torch.arange(tokens.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)
        shares = self.buffer_share(self.buffer_summaries(tokens, lengths)[inside])
        return self.decode_flat(tokens[inside], shares, lengths, forced)

    @torch.no_grad()
    def decode_flat(self, tokens: Tensor, shares: Tensor, lengths: Tensor, forced: Tensor | None = None) -> Decoded:
        """Greedy decoding of sentences given as their tokens (N, D) and the `buffer_share` of their buffer summaries
        (N, H), one sentence after the other (`lengths` (B,)): any number of sentences, memory in proportion to
        their tokens, not to B · T."""
        return _GreedyDecoder(self, tokens, shares, lengths, forced).run()

    def buffer_share(self, buffer: Tensor) -> Tensor:
        """W_b b + d of p_t = ReLU(W_s s + W_b b + W_o o + W_a a + d) for buffer summaries b (…, H)."""
        H = self.empty.shape[1]
        return nn.functional.linear(buffer, self.state.weight[:, H : 2 * H], self.state.bias)

    def buffer_summaries(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """(B, T, H): position t holds the backward LSTM's summary of words t… of its sentence (padding: zeros).

        Packed, so that padding costs nothing: the sentences of a batch differ in length.
        """
        packed = nn.utils.rnn.pack_padded_sequence(
            reverse_padded(tokens, lengths), lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
        )
        out, _ = nn.utils.rnn.pad_packed_sequence(
            self.buffer(packed)[0], batch_first=True, total_length=tokens.shape[1]
        )
        return reverse_padded(out, lengths)


# Illegal actions by (buffer non-empty, stack non-empty), as -inf added to the scores: one lookup per step.
_ILLEGAL = torch.zeros(2, 2, N_ACTIONS).masked_fill(
    ~legal_mask(torch.tensor([[0, 1], [0, 1]]), torch.tensor([[0, 0], [1, 1]])), float("-inf")
)


@dataclass
class _Options:
    """One decoding step before the choice: which rows still act (finished rows stay until the next `_compact`, and
    do nothing), their first buffer word, p_t, probabilities."""

    active: Tensor
    token: Tensor
    p: Tensor
    probabilities: Tensor


class _GreedyDecoder:
    """The state of a batch during greedy decoding: one LSTM state per sentence for stack, output and history.

    Work that does not depend on the choices is done once before the first step: the buffer's share of p_t for
    every token (by the caller), the history LSTM's input gates for every action. Each step then multiplies hidden
    states, and the stack LSTM runs only for the sentences that SHIFT (about one step in seven).
    Tokens are stored flat (sentence after sentence), and finished sentences leave the working rows (`_compact`),
    so that a step costs in proportion to the sentences still running: decoding many sentences in one batch then
    takes as many steps as the longest needs, where the Python work of each step was most of the time.
    Same results as `teacher_forced` (a test checks it to 1e-5).
    """

    def __init__(self, model: StackLSTM, tokens: Tensor, shares: Tensor, lengths: Tensor, forced: Tensor | None):
        self.model, self.tokens, self.forced = model, tokens, forced
        B = len(lengths)
        H = model.empty.shape[1]
        self.n_sentences = B
        self.step_states: list[Tensor] = []  # only when forced: (B, H) per step, for the equivalence test
        # p_t = ReLU(W_s s + W_b b + W_o o + W_a a + d): W_b b + d comes precomputed (`shares`), the rest per step.
        w_s, _, w_o, w_a = model.state.weight.split(H, dim=1)
        self.w_soa = torch.cat([w_s, w_o, w_a], dim=1).t().contiguous()  # (3H, H)
        self.buffer_share = shares  # (N, H)
        self.empty_stack, self.empty_share = model.empty[0], model.buffer_share(model.empty[1])  # (H,) each
        # Read as plain tensors: a step costs ~0.3 ms for a lone document's few rows, and module calls and attribute
        # lookups on the model were a tenth of it (a testb document takes ~100 steps).
        self.word_item = model.word_item.weight, model.word_item.bias
        self.scorer = model.scorer.weight, model.scorer.bias
        self.stack_cell, self.output_cell, self.history_cell = map(Cell.of, (model.stack, model.output, model.history))
        self.composer = _Composer(model, FinalStates.of(model.compose))
        self.history_gates = self.history_cell.input_gates(model.action_embedding.weight)  # (N_ACTIONS + 1, 4H)
        # Working rows, one per unfinished sentence (`_compact` drops the finished ones).
        self.sentence = torch.arange(B)
        self.lengths = lengths
        self.offsets = torch.cumsum(lengths, 0) - lengths  # first token of each sentence in the flat tensors
        self.i = torch.zeros(B, dtype=torch.long)
        self.stack_start = torch.zeros(B, dtype=torch.long)
        zeros = tokens.new_zeros(B, H)
        self.stack_state = (zeros, zeros)
        self.output_state = (zeros, zeros)
        self.o = model.empty[2].expand(B, H)
        start = self.history_gates[torch.full((B,), START_ACTION)]
        self.history_state = self.history_cell.step(start, (zeros, zeros))
        self.spans: list[list[Span]] = [[] for _ in range(B)]
        self.action_scores: list[list[float]] = [[] for _ in range(B)]
        self.reduced: list[tuple[Tensor, Tensor, Tensor]] = []  # per step: sentences, states p_t, chunk items
        if not bool((lengths > 0).all()):
            self._keep((lengths > 0).nonzero().squeeze(1))  # an empty sentence has nothing to decode

    def run(self) -> Decoded:
        step = 0
        while self.running():
            options = self.options()
            action = options.probabilities.argmax(-1)
            if self.forced is not None:
                action = self.forced[self.sentence, min(step, self.forced.shape[1] - 1)].clamp(min=0)
                self.step_states.append(
                    options.p.new_zeros(self.n_sentences, options.p.shape[1]).index_copy(0, self.sentence, options.p)
                )
            self.take(options, action, options.probabilities)
            step += 1
        return self.finish()

    def running(self) -> bool:
        return len(self.sentence) > 0

    def options(self) -> _Options:
        """The parser state p_t of every working row and its probabilities over the legal actions."""
        has_stack = self.i > self.stack_start
        has_buffer = self.i < self.lengths
        s = torch.where(has_stack.unsqueeze(1), self.stack_state[0], self.empty_stack)
        token = self.offsets + torch.minimum(self.i, self.lengths - 1)  # the first buffer word, flat index
        b = torch.where(has_buffer.unsqueeze(1), self.buffer_share[token], self.empty_share)
        p = torch.relu(torch.addmm(b, torch.cat([s, self.o, self.history_state[0]], 1), self.w_soa))
        scores = nn.functional.linear(p, *self.scorer)
        probabilities = (scores + _ILLEGAL[has_buffer.long(), has_stack.long()]).softmax(-1)
        return _Options(has_stack | has_buffer, token, p, probabilities)

    def take(self, options: _Options, action: Tensor, probabilities: Tensor) -> None:
        """Apply the chosen `action` of each row; `probabilities` are what a REDUCE's span score is read from."""
        self.apply(action, options.active, options.token, options.p, probabilities)
        self._compact()

    def apply(self, action: Tensor, active: Tensor, token: Tensor, p: Tensor, probabilities: Tensor) -> None:
        """Take the action of each unfinished row; `token` is each row's first buffer word in the flat tensors."""
        shift = active & (action == SHIFT_ID)
        out = active & (action == OUT_ID)
        reduce = active & (action >= REDUCE_ID)
        # SHIFT: push the word on the stack LSTM (from a zero state when the stack was empty), only where it happens.
        pushing = shift.nonzero().squeeze(1)
        if len(pushing):
            fresh = (self.i[pushing] == self.stack_start[pushing]).unsqueeze(1)
            h0 = self.stack_state[0][pushing].masked_fill(fresh, 0.0)
            c0 = self.stack_state[1][pushing].masked_fill(fresh, 0.0)
            h, c = self.stack_cell.step(self.stack_cell.input_gates(self.tokens[token[pushing]]), (h0, c0))
            self.stack_state = (
                self.stack_state[0].index_put((pushing,), h),
                self.stack_state[1].index_put((pushing,), c),
            )
        # OUT and REDUCE: one more item on the output LSTM (the word, or the composed chunk).
        items = nn.functional.linear(self.tokens[token], *self.word_item)
        reducing = reduce.nonzero().squeeze(1)
        if len(reducing):
            items = items.index_put((reducing,), self.reduced_items(reducing, action, p, probabilities))
        new_output = self.output_cell.step(self.output_cell.input_gates(items), self.output_state)
        grows = out | reduce
        self.output_state = _select(grows, new_output, self.output_state)
        self.o = torch.where(grows.unsqueeze(1), new_output[0], self.o)
        self.history_state = self.history_cell.step(self.history_gates[action], self.history_state)
        self.i = self.i + (shift | out).long()
        self.stack_start = torch.where(out | reduce, self.i, self.stack_start)

    def _compact(self) -> None:
        """Drop the rows of finished sentences once they are a tenth of the working rows: idle rows cost a step as
        much as working ones, and dropping rows costs a copy of the state (testb: 0.88 s of decoding at a tenth,
        0.93 at a third, 0.99 at a half)."""
        unfinished = (self.i < self.lengths) | (self.i > self.stack_start)
        if int(unfinished.sum()) > 0.9 * len(self.sentence):
            return
        self._keep(unfinished.nonzero().squeeze(1))

    def _keep(self, keep: Tensor) -> None:
        for name in ("sentence", "lengths", "offsets", "i", "stack_start", "o"):
            setattr(self, name, getattr(self, name)[keep])
        for name in ("stack_state", "output_state", "history_state"):
            h, c = getattr(self, name)
            setattr(self, name, (h[keep], c[keep]))

    def reduced_items(self, index: Tensor, action: Tensor, p: Tensor, probabilities: Tensor) -> Tensor:
        """Compose the chunks the rows `index` reduce at this step; record their spans, states and items."""
        starts, ends = self.stack_start[index], self.i[index]
        labels = action[index] - REDUCE_ID
        items = self.composer(self.tokens, self.offsets[index] + starts, ends - starts, labels)
        sentences = self.sentence[index]
        self.reduced.append((sentences, p[index], items))
        scores = probabilities[index, action[index]].tolist()
        for b, start, end, label, score in zip(
            sentences.tolist(), starts.tolist(), ends.tolist(), labels.tolist(), scores, strict=True
        ):
            self.spans[b].append(Span(start, end, LABELS[label]))
            self.action_scores[b].append(score)
        return items

    def finish(self) -> Decoded:
        """Order reduced chunks sentence by sentence, span by span, as `spans` lists them."""
        H = self.model.empty.shape[1]
        empty = self.model.empty.new_zeros(0, H)
        states, items = empty, empty
        if self.reduced:
            sentences = torch.cat([index for index, _, _ in self.reduced])
            order = torch.sort(sentences, stable=True).indices  # within a sentence, reduces come in step order
            states = torch.cat([state for _, state, _ in self.reduced])[order]
            items = torch.cat([item for _, _, item in self.reduced])[order]
        step_states = torch.stack(self.step_states, dim=1) if self.step_states else empty.unsqueeze(0)
        return Decoded(self.spans, self.action_scores, states, items, step_states)


@torch.no_grad()
def decode_together(
    parsers: Sequence[StackLSTM], inputs: Sequence[tuple[Tensor, Tensor]], lengths: Tensor
) -> list[Decoded]:
    """Greedy decoding by several parsers in lockstep (an ensemble): each step takes the action of highest mean
    probability, applied to every parser's own state. `inputs` holds each parser's `decode_flat` tokens and shares;
    one `Decoded` per parser comes back, all with the same spans and span scores (the mean probabilities)."""
    decoders = [
        _GreedyDecoder(parser, tokens, shares, lengths, None)
        for parser, (tokens, shares) in zip(parsers, inputs, strict=True)
    ]
    while decoders[0].running():
        options = [decoder.options() for decoder in decoders]
        mean = torch.stack([option.probabilities for option in options]).mean(0)
        action = mean.argmax(-1)
        for decoder, option in zip(decoders, options, strict=True):
            decoder.take(option, action, mean)
    return [decoder.finish() for decoder in decoders]


@dataclass(frozen=True)
class _Composer:
    """`StackLSTM.compose_chunks` for the chunks reduced at one decoding step, by hand (`FinalStates`): chunks are
    short, and a packed BiLSTM call costs more."""

    model: StackLSTM
    final: FinalStates

    def __call__(self, tokens: Tensor, first: Tensor, lengths: Tensor, labels: Tensor) -> Tensor:
        """Items (R, H) of R chunks: `lengths` words of `tokens` (N, D) from the flat indices `first`, `labels`."""
        states = self.final(tokens, first, lengths)  # (R, 2H)
        label = self.model.label_embedding(labels)
        return torch.tanh(self.model.chunk_item(torch.cat([states, label], dim=-1)))


def _select(mask: Tensor, new: tuple[Tensor, Tensor], old: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    keep = mask.unsqueeze(1)
    return torch.where(keep, new[0], old[0]), torch.where(keep, new[1], old[1])
