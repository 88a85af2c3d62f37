"""Properties of both endpoints under arbitrary input: any JSON value, any Unicode (issue 20).

Every answer is a 2xx or a 4xx whose body is strict JSON (UTF-8, no NaN), never a 5xx; and every mention's text is
the slice of the text as the server read it (lone surrogates replaced by U+FFFD) at the mention's offsets.
"""

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import event, given, settings
from hypothesis import strategies as st

import jointel
from jointel.data.unicode import valid_unicode
from jointel.server import ServerLimits, create_app

LIMITS = ServerLimits(max_chars=1000, max_spans=20, max_concurrent=1, max_queued=8)
EXAMPLES = settings(max_examples=40, deadline=None)

ODD = [
    "\ud800",  # a lone high surrogate
    "\udfff",  # a lone low surrogate
    "\x00",
    "\u202e",  # right-to-left override
    "\u05e9\u05dc\u05d5\u05dd",  # Hebrew, written right to left
    "e\u0301",  # e and a combining acute accent
    "\u0301",  # a combining mark with nothing to combine with
    "\U0001f600",  # outside the BMP: one code point, two UTF-16 units
    "\ufeff",
    "\n\n",
]
WORDS = ["Germany", "Paris", "Hilton", "Rio", "de", "Janeiro", "visited", "Mr.", "U.S.", ".", ",", '"', "'s"]
pieces = st.one_of(
    st.sampled_from(WORDS),
    st.sampled_from(ODD),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=8),  # surrogates included
    st.integers(1, 700).map(lambda n: "a" * n),  # a very long token: two of them pass the limit of 1000
)
texts = st.lists(pieces, max_size=12).map(" ".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(exclude_categories=()), max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=8,
)

pairs = st.lists(st.tuples(st.integers(-3, 1100), st.integers(-3, 1100)), max_size=4)  # anywhere, in any order


@st.composite
def spans_of(draw, text: str) -> list[tuple[int, int]]:
    """Non-empty (start, end) pairs inside `text`: over tokens, parts of tokens or only spaces, overlapping or not."""
    if not text:
        return []
    starts = st.integers(0, len(text) - 1)
    spans = starts.flatmap(lambda start: st.tuples(st.just(start), st.integers(start + 1, len(text))))
    return draw(st.lists(spans, max_size=4))


def with_any(field_values: dict[str, st.SearchStrategy], well_formed: st.SearchStrategy) -> st.SearchStrategy:
    """A well-formed body (half the time), the same with one field set to an arbitrary value, or any JSON value."""
    replaced = st.tuples(well_formed, st.sampled_from(sorted(field_values))).flatmap(
        lambda body_field: field_values[body_field[1]].map(lambda value: {**body_field[0], body_field[1]: value})
    )
    return st.one_of(well_formed, well_formed, replaced, json_values)


annotate_bodies = with_any(
    {
        "text": json_values,
        "spans": json_values | pairs,
        "nil_threshold": json_values,
        "top_k": json_values,
        "x": json_values,
    },
    texts.flatmap(
        lambda text: st.fixed_dictionaries(
            {"text": st.just(text)},
            optional={
                "spans": spans_of(text).map(lambda spans: [{"start": start, "end": end} for start, end in spans]),
                "nil_threshold": st.floats(0, 1) | st.none(),
                "top_k": st.integers(0, 3),
            },
        )
    ),
)
rel_bodies = with_any(
    {"text": json_values, "spans": json_values | pairs},
    texts.flatmap(
        lambda text: spans_of(text).map(
            lambda spans: {"text": text, "spans": [(start, end - start) for start, end in spans]}
        )
    ),
)


@pytest.fixture(scope="module")
def client(tiny_model_dir):
    with TestClient(create_app(lambda: jointel.load(tiny_model_dir), LIMITS)) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: object) -> tuple[int, object]:
    """POST `body` written as Python's json module writes it (NaN, Infinity, lone surrogates as escapes), and the
    status and the answer, which must be strict JSON."""

    def refuse(constant: str) -> None:
        raise ValueError(f"the answer holds {constant}, which is not JSON")

    content = json.dumps(body).encode("ascii")
    response = client.post(path, content=content, headers={"content-type": "application/json"})
    return response.status_code, json.loads(response.content.decode("utf-8"), parse_constant=refuse)


def read_text(body: object) -> str | None:
    """The text as the server reads it, when the body has one."""
    text = body.get("text") if isinstance(body, dict) else None
    return valid_unicode(text) if isinstance(text, str) else None


@EXAMPLES
@given(body=annotate_bodies)
def test_annotate_answers_any_body_without_a_server_error(client, body):
    status, answer = post(client, "/annotate", body)
    event(f"status {status}")
    assert status in (200, 413, 422), answer
    if status != 200:
        assert isinstance(answer["detail"], str) and answer["detail"]
        return
    text = read_text(body)
    for mention in answer["mentions"]:
        assert mention["text"] == text[mention["start"] : mention["end"]]
    if body.get("spans") is not None:
        given_spans = [(span["start"], span["end"]) for span in body["spans"]]
        assert [(m["start"], m["end"]) for m in answer["mentions"]] == given_spans


@EXAMPLES
@given(body=rel_bodies)
def test_rel_answers_any_body_without_a_server_error(client, body):
    status, answer = post(client, "/", body)
    event(f"status {status}")
    assert status in (200, 413, 422), answer
    if status != 200:
        assert isinstance(answer["detail"], str) and answer["detail"]
        return
    text = read_text(body)
    for start, length, mention, *_ in answer:
        assert mention == text[start : start + length]
    if body.get("spans"):
        assert [row[:2] for row in answer] == [list(span) for span in body["spans"]]
