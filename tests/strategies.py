"""Hypothesis strategies shared by the property tests (importable because pytest puts tests/ on the path)."""

from hypothesis import strategies as st

from jointel.data import LABELS, Span

ENTITIES = ["Paris", "Paris_Hilton", "Germany"]


@st.composite
def span_sets(draw, max_tokens: int = 30):
    """A sentence length and non-overlapping labelled, sometimes linked spans over it, sorted by start."""
    n = draw(st.integers(0, max_tokens))
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            end = draw(st.integers(i + 1, min(n, i + 5)))
            entity = draw(st.one_of(st.none(), st.sampled_from(ENTITIES)))
            spans.append(Span(i, end, draw(st.sampled_from(LABELS)), entity))
            i = end
        else:
            i += draw(st.integers(1, 3))
    return n, spans
