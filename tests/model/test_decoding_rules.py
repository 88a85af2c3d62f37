"""The transition rules are stated twice: in pure Python (`transitions.py`: legal, step, apply), which the oracle and
the tests read, and as tensors (`stack_lstm.py`: `legal_mask`, the greedy decoder's masks and state updates), which
decoding runs. These properties check that the two agree on which actions are legal and on the spans built."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from jointel.data import LABELS
from jointel.model.actions import SHIFT_ID, action_id
from jointel.model.config import ModelConfig
from jointel.model.stack_lstm import StackLSTM, _GreedyDecoder, legal_mask
from jointel.model.transitions import Action, Op, State, apply, legal, step

TOKEN_DIM, HIDDEN = 4, 8


def _legal_ids(state: State) -> set[int]:
    """The decoder's action columns that `legal()` allows in `state`: a legal REDUCE allows every label."""
    return {action_id(op, label) for op in legal(state) for label in (LABELS if op is Op.REDUCE else (None,))}


@st.composite
def states(draw, max_tokens: int = 30) -> State:
    """Any state of a sentence: the stack is a run of words ending where the buffer starts (possibly empty)."""
    n = draw(st.integers(0, max_tokens))
    buffer_start = draw(st.integers(0, n))
    return State(n, buffer_start, draw(st.integers(0, buffer_start)))


@st.composite
def action_histories(draw, max_tokens: int = 12) -> tuple[int, list[Action]]:
    """A sentence length and a random complete run of legal actions over it, labels included (no links: the
    decoder does not link)."""
    n = draw(st.integers(0, max_tokens))
    state, actions = State(n), []
    while not state.is_done:
        op = draw(st.sampled_from(sorted(legal(state), key=lambda op: op.value)))
        action = Action(op, draw(st.sampled_from(LABELS))) if op is Op.REDUCE else Action(op)
        state, _ = step(state, action)
        actions.append(action)
    return n, actions


@pytest.fixture(scope="module")
def parser() -> StackLSTM:
    """An untrained parser that scores every action 0: the probability of an action is then 0 exactly when the
    decoder masks it, and 1/(number of legal actions) otherwise, so legality can be read off the probabilities."""
    model = StackLSTM(ModelConfig(hidden=HIDDEN, action_dim=4, label_dim=4, dropout=0.0), TOKEN_DIM).eval()
    with torch.no_grad():
        model.scorer.weight.zero_()
        model.scorer.bias.zero_()
    return model


@given(st.lists(states(), min_size=1, max_size=8))
def test_legal_mask_allows_what_legal_allows(batch):
    mask = legal_mask(torch.tensor([s.stack_size for s in batch]), torch.tensor([s.buffer_size for s in batch]))
    assert [set(row.nonzero().flatten().tolist()) for row in mask] == [_legal_ids(state) for state in batch]


@given(st.lists(action_histories(), min_size=1, max_size=5))
def test_decoder_allows_what_legal_allows_and_builds_the_spans_apply_builds(parser, sentences):
    """Drive the batched greedy decoder through random legal histories, one step for all sentences at a time, as
    `decode` does (finished sentences leave the working rows on the way), beside the pure states."""
    lengths = torch.tensor([n for n, _ in sentences])
    random = torch.Generator().manual_seed(0)  # any token vectors and buffer shares: the rules ignore their values
    tokens = torch.randn(int(lengths.sum()), TOKEN_DIM, generator=random)
    shares = torch.randn(int(lengths.sum()), HIDDEN, generator=random)
    decoder = _GreedyDecoder(parser, tokens, shares, lengths, None)
    pure = [State(n) for n, _ in sentences]
    for t in range(max(len(actions) for _, actions in sentences)):
        assert decoder.running()
        options = decoder.options()
        chosen = []
        for row, sentence in enumerate(decoder.sentence.tolist()):
            allowed = set((options.probabilities[row] > 0).nonzero().flatten().tolist())  # a finished row: NaN, none
            assert allowed == _legal_ids(pure[sentence]), f"step {t}, sentence {sentence}: {pure[sentence]}"
            actions = sentences[sentence][1]
            if t < len(actions):
                pure[sentence], _ = step(pure[sentence], actions[t])
                chosen.append(action_id(actions[t].op, actions[t].label))
            else:
                chosen.append(SHIFT_ID)  # ignored: a finished row does nothing
        decoder.take(options, torch.tensor(chosen), options.probabilities)
    assert not decoder.running()  # lockstep: as many steps as the longest history, then every sentence is done
    assert decoder.finish().spans == [apply(actions, n) for n, actions in sentences]
