import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import span_sets

from jointel.data import Span
from jointel.model.transitions import OUT, SHIFT, Op, State, apply, legal, oracle, reduce, step


@given(span_sets(), st.randoms())
def test_apply_inverts_oracle(case, random):
    n, spans = case
    shuffled = random.sample(spans, len(spans))  # the oracle must not depend on the order spans come in
    assert apply(oracle(n, shuffled), n) == spans


@given(span_sets())
def test_oracle_actions_are_legal_and_at_most_2n(case):
    n, spans = case
    state = State(n)
    actions = oracle(n, spans)
    for action in actions:
        assert action.op in legal(state)
        state, _ = step(state, action)
    assert state.is_done
    assert len(actions) <= 2 * n


def test_oracle_matches_the_paper_example():
    # "John Smith went to Pittsburgh ." → SHIFT SHIFT REDUCE(PER) OUT OUT SHIFT REDUCE(LOC) OUT
    actions = oracle(6, [Span(4, 5, "LOC"), Span(0, 2, "PER")])
    assert [str(action) for action in actions] == [
        "SHIFT",
        "SHIFT",
        "REDUCE(PER)",
        "OUT",
        "OUT",
        "SHIFT",
        "REDUCE(LOC)",
        "OUT",
    ]


def test_oracle_reduce_carries_the_link():
    assert oracle(1, [Span(0, 1, "LOC", "Paris")]) == [SHIFT, reduce("LOC", "Paris")]


def test_legal_forbids_out_with_a_stack_and_reduce_without():
    assert legal(State(3)) == {Op.SHIFT, Op.OUT}
    assert legal(State(3, buffer_start=1, stack_start=0)) == {Op.SHIFT, Op.REDUCE}
    assert legal(State(3, buffer_start=3, stack_start=2)) == {Op.REDUCE}
    assert legal(State(3, buffer_start=3, stack_start=3)) == set()


def test_step_rejects_illegal_action():
    with pytest.raises(ValueError, match="OUT is not legal with 1 stack"):
        step(State(3, buffer_start=1), OUT)


def test_apply_rejects_unfinished_sequence():
    with pytest.raises(ValueError, match="1 stack and 1 buffer words left"):
        apply([SHIFT], 2)
