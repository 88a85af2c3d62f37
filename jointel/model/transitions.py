"""The transition system of Lample et al. (2016) §3, extended with a link on every REDUCE (Martins et al. 2019).

A sentence of `n` tokens is read left to right. The buffer holds the words still to read, the stack the words of the
mention being built, the output the finished chunks. Three operations:

- `SHIFT`: the next buffer word goes onto the stack;
- `OUT`: the next buffer word goes to the output, outside any entity (not allowed while the stack holds words);
- `REDUCE(X)`: all stack words become one chunk labelled X, linked to `entity` (None = NIL), pushed to the output.

"John Smith went to Pittsburgh ." → SHIFT SHIFT REDUCE(PER) OUT OUT SHIFT REDUCE(LOC) OUT.
Because the stack always holds a contiguous run of words ending at the buffer front, a state is two integers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from jointel.data.documents import Span


class Op(Enum):
    SHIFT = "SHIFT"
    OUT = "OUT"
    REDUCE = "REDUCE"


@dataclass(frozen=True)
class Action:
    op: Op
    label: str | None = None  # REDUCE only: PER | LOC | ORG | MISC
    entity: str | None = None  # REDUCE only: the linked entity, None = NIL

    def __str__(self) -> str:
        return f"REDUCE({self.label})" if self.op is Op.REDUCE else self.op.value


SHIFT = Action(Op.SHIFT)
OUT = Action(Op.OUT)


def reduce(label: str, entity: str | None = None) -> Action:
    return Action(Op.REDUCE, label, entity)


@dataclass(frozen=True)
class State:
    """`stack` holds words `[stack_start, buffer_start)`; the buffer holds words `[buffer_start, n)`."""

    n: int
    buffer_start: int = 0
    stack_start: int = 0

    @property
    def stack_size(self) -> int:
        return self.buffer_start - self.stack_start

    @property
    def buffer_size(self) -> int:
        return self.n - self.buffer_start

    @property
    def is_done(self) -> bool:
        return self.buffer_size == 0 and self.stack_size == 0


def legal(state: State) -> set[Op]:
    """Operations allowed in `state` (Lample et al. §3): REDUCE needs a stack, SHIFT/OUT a buffer, OUT no stack."""
    ops = set()
    if state.buffer_size:
        ops.add(Op.SHIFT)
        if not state.stack_size:
            ops.add(Op.OUT)
    if state.stack_size:
        ops.add(Op.REDUCE)
    return ops


def step(state: State, action: Action) -> tuple[State, Span | None]:
    """The state after `action`, and the span it completes (REDUCE only). An illegal action raises ValueError."""
    if action.op not in legal(state):
        raise ValueError(f"{action} is not legal with {state.stack_size} stack and {state.buffer_size} buffer words")
    if action.op is Op.SHIFT:
        return State(state.n, state.buffer_start + 1, state.stack_start), None
    if action.op is Op.OUT:
        return State(state.n, state.buffer_start + 1, state.buffer_start + 1), None
    span = Span(state.stack_start, state.buffer_start, action.label or "", action.entity)
    return State(state.n, state.buffer_start, state.buffer_start), span


def apply(actions: Sequence[Action], n: int) -> list[Span]:
    """The spans built by running `actions` over a sentence of `n` tokens; the sequence must end in the final state."""
    state, spans = State(n), []
    for action in actions:
        state, span = step(state, action)
        if span is not None:
            spans.append(span)
    if not state.is_done:
        raise ValueError(f"actions stop with {state.stack_size} stack and {state.buffer_size} buffer words left")
    return spans


def oracle(n: int, spans: Sequence[Span]) -> list[Action]:
    """Gold actions that rebuild `spans` (non-overlapping) over a sentence of `n` tokens."""
    actions: list[Action] = []
    i = 0
    for span in sorted(spans, key=lambda span: span.start):
        actions += [OUT] * (span.start - i) + [SHIFT] * (span.end - span.start)
        actions.append(reduce(span.label, span.entity))
        i = span.end
    return actions + [OUT] * (n - i)
