import json
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import jointel
from jointel.annotate import BUNDLED_MODEL
from jointel.server import ServerLimits, create_app

GERMANY = "Germany beat Argentina in Rio de Janeiro."
LIMITS = ServerLimits(max_chars=1000, max_spans=50, max_concurrent=2, max_queued=16)


@pytest.fixture
def client(tiny_model_dir):
    with TestClient(create_app(lambda: jointel.load(tiny_model_dir), LIMITS)) as test_client:
        yield test_client


def test_annotate_returns_typed_linked_mentions(client):
    response = client.post("/annotate", json={"text": GERMANY, "top_k": 1})
    assert response.status_code == 200
    mentions = response.json()["mentions"]
    assert [(m["start"], m["end"], m["text"], m["label"], m["entity"]) for m in mentions] == [
        (0, 7, "Germany", "LOC", "Germany"),
        (13, 22, "Argentina", "LOC", None),
        (26, 40, "Rio de Janeiro", "LOC", "Rio_de_Janeiro"),
    ]
    assert mentions[0]["url"] == "https://en.wikipedia.org/wiki/Germany"
    assert mentions[0]["candidates"] == [{"entity": "Germany", "probability": pytest.approx(1.0, abs=1e-3)}]


def test_annotate_with_spans_links_only_those(client):
    response = client.post("/annotate", json={"text": GERMANY, "spans": [{"start": 26, "end": 40}]})
    assert response.status_code == 200
    assert [(m["text"], m["entity"]) for m in response.json()["mentions"]] == [("Rio de Janeiro", "Rio_de_Janeiro")]


def test_annotate_empty_text_is_empty(client):
    response = client.post("/annotate", json={"text": ""})
    assert response.status_code == 200
    assert response.json() == {"mentions": []}


def test_rel_endpoint_answers_rel_rows(client):
    response = client.post("/", json={"text": GERMANY, "spans": []})
    assert response.status_code == 200
    rows = response.json()
    assert [row[:4] + row[6:] for row in rows] == [
        [0, 7, "Germany", "Germany", "LOC"],
        [13, 9, "Argentina", "NIL", "LOC"],
        [26, 14, "Rio de Janeiro", "Rio_de_Janeiro", "LOC"],
    ]
    assert all(0 <= row[4] <= 1 and 0 <= row[5] <= 1 for row in rows)


def test_rel_endpoint_with_spans_links_only_them(client):
    response = client.post("/", json={"text": "Paris Hilton visited Paris.", "spans": [[21, 5], [0, 12]]})
    assert response.status_code == 200
    assert [row[:4] for row in response.json()] == [[21, 5, "Paris", "Paris"], [0, 12, "Paris Hilton", "Paris_Hilton"]]


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "max_chars": 1000, "max_spans": 50, "detail": None}


def test_text_over_the_limit_is_413(client):
    response = client.post("/annotate", json={"text": "Paris " * 200})
    assert response.status_code == 413
    assert response.json()["detail"] == "text has 1200 characters; this server accepts at most 1000"
    assert client.post("/", json={"text": "x" * 1001}).status_code == 413


def test_huge_body_is_413_before_it_is_parsed(client):
    body = b'{"text": "' + b"x" * 100_000 + b'"}'
    response = client.post("/annotate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 413
    limit = LIMITS.max_body_bytes  # 1000 characters of 12 bytes, 50 spans of 64, and 64 kB for the rest: 80736
    assert (
        response.json()["detail"] == f"request body of 100012 bytes is larger than the {limit} bytes this server reads"
    )


def test_malformed_json_is_422_with_a_clear_message(client):
    response = client.post("/annotate", content=b'{"text": "Paris', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("request body is not valid JSON:")


def test_missing_or_wrong_fields_are_422_naming_them(client):
    response = client.post("/annotate", json={"txt": "Paris"})
    assert response.status_code == 422
    assert response.json()["detail"] == "text: Field required; txt: Extra inputs are not permitted"
    response = client.post("/annotate", json={"text": "Paris", "nil_threshold": 2})
    assert response.json()["detail"] == "nil_threshold: Input should be less than or equal to 1"


def test_span_outside_the_text_is_422(client):
    response = client.post("/", json={"text": "Paris", "spans": [[3, 10]]})
    assert response.status_code == 422
    assert response.json()["detail"] == "span (3, 13) is not inside the text of 5 characters"


def test_openapi_documents_the_endpoints(client):
    schema = client.get("/openapi.json").json()
    assert {"/annotate", "/", "/health"} <= set(schema["paths"])
    assert "413" in schema["paths"]["/annotate"]["post"]["responses"]
    assert schema["components"]["schemas"]["MentionOut"]["properties"]["entity"]["description"].startswith("Wikipedia")


def test_web_page_is_served(client):
    page = client.get("/")
    assert page.status_code == 200 and '<button id="annotate"' in page.text
    assert client.get("/static/app.js").status_code == 200


def test_concurrent_requests_get_the_same_answers(client):
    texts = [GERMANY, "Paris Hilton visited Paris.", "Phil Mickelson won in Paris."] * 4
    expected = {text: client.post("/annotate", json={"text": text}).json() for text in set(texts)}
    answers: dict[int, dict] = {}

    def ask(i: int) -> None:
        answers[i] = client.post("/annotate", json={"text": texts[i]}).json()

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [answers[i] for i in range(len(texts))] == [expected[text] for text in texts]


def strict_json(response) -> object:
    """The body as JSON, refusing what JSON does not allow (NaN, Infinity) and text that is not UTF-8."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(response.content.decode("utf-8"), parse_constant=refuse)


NON_FINITE = ["NaN", "Infinity", "-Infinity"]
NON_FINITE_BODIES = [
    template.replace("X", constant)
    for template in (
        '{"text": X}',
        '{"text": "Paris", "nil_threshold": X}',
        '{"text": "Paris", "top_k": X}',
        '{"text": "Paris", "spans": [{"start": X, "end": 1}]}',
    )
    for constant in NON_FINITE
]


@pytest.mark.parametrize("body", NON_FINITE_BODIES)
def test_issue_20_non_finite_numbers_are_422_in_valid_json(client, body):
    response = client.post("/annotate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    answer = strict_json(response)
    field = json.loads(body, parse_constant=str)
    assert answer["detail"].split(":")[0] in {"text", "nil_threshold", "top_k", "spans.0.start"}, answer["detail"]
    echoed = [error["input"] for error in answer["errors"]]
    assert any(value in NON_FINITE for value in echoed) or field.get("text") in NON_FINITE


@pytest.mark.parametrize("body", ['{"text": NaN}', '{"text": "Paris", "spans": [[NaN, 1]]}', "[Infinity]", "NaN"])
def test_issue_20_non_finite_numbers_are_422_on_the_rel_endpoint(client, body):
    response = client.post("/", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert strict_json(response)["detail"]


LONE = "Mr. Ab\\ud800cd Smith said."  # as the client writes it: a JSON escape of half a UTF-16 pair
READ = "Mr. Ab\ufffdcd Smith said."  # as the server reads it: one code point for one, offsets unchanged


def test_issue_20_lone_surrogate_is_read_as_replacement_character(client):
    body = '{"text": "' + LONE + '", "spans": [{"start": 4, "end": 9}], "top_k": 1}'
    response = client.post("/annotate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    [mention] = strict_json(response)["mentions"]
    assert (mention["start"], mention["end"], mention["text"]) == (4, 9, READ[4:9]) == (4, 9, "Ab\ufffdcd")


def test_issue_20_lone_surrogate_in_a_rel_span_keeps_its_offsets(client):
    for spans in ("[[4, 5]]", "[]"):
        body = '{"text": "' + LONE + '", "spans": ' + spans + "}"
        response = client.post("/", content=body, headers={"content-type": "application/json"})
        assert response.status_code == 200
        rows = strict_json(response)
        assert all(row[2] == READ[row[0] : row[0] + row[1]] for row in rows)
    assert rows  # the model finds mentions in it


def test_issue_20_lone_surrogate_in_an_unknown_field_is_a_422_in_valid_json(client):
    body = '{"text": "Paris", "\\udc00": "\\ud800"}'
    response = client.post("/annotate", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    answer = strict_json(response)  # pydantic cannot read the key as a string, and echoes it, replaced here
    assert answer["detail"].startswith("body: ")
    assert answer["errors"][0]["input"] == "\ufffd"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_issue_20_wrong_content_type_is_415_naming_the_expected_one(client, content_type):
    headers = {} if content_type is None else {"content-type": content_type}
    for path in ("/annotate", "/"):
        response = client.post(path, content=b'{"text": "Paris"}', headers=headers)
        assert response.status_code == 415
        assert response.json()["detail"].startswith("Content-Type must be application/json, ")
        assert response.headers["accept"] == "application/json"


def test_issue_20_json_with_a_charset_or_a_json_suffix_is_accepted(client):
    for content_type in ("application/json; charset=utf-8", "application/vnd.rel+json"):
        response = client.post("/", content=b'{"text": "Paris"}', headers={"content-type": content_type})
        assert response.status_code == 200


def test_issue_20_too_many_spans_is_413(client):
    response = client.post("/", json={"text": "Paris " * 100, "spans": [[6 * i, 5] for i in range(51)]})
    assert response.status_code == 413
    assert response.json()["detail"] == "51 spans; this server links at most 50 per request"


def test_issue_20_spans_overlapping_deeper_than_the_text_allows_are_413(client):
    text = "Paris Hilton visited Paris. " * 10  # 280 characters: three layers fit in 1000, four do not
    spans = [[0, 12], [0, 5], [6, 6], [0, 12], [21, 5], [21, 5]]  # three deep at 0-5 and 6-12, two at 21-26
    assert client.post("/", json={"text": text, "spans": spans}).status_code == 200
    response = client.post("/", json={"text": text, "spans": [*spans, [4, 4]]})  # four deep at 4-5
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "4 spans overlap at one place, so linking reads the text of 280 characters 4 times; "
        "this server reads at most 1000 characters per request"
    )


def damage_title_index(kb: Path) -> None:
    """Garbage over the leaf pages of the entities' title index: pages that opening the KB and loading the
    gazetteer never read, but that linking reads for every document (link coherence looks titles up)."""
    with sqlite3.connect(kb) as db:
        try:
            pages = db.execute(
                "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat "
                "WHERE name = 'sqlite_autoindex_entities_1' AND pagetype = 'leaf'"
            ).fetchall()
        except sqlite3.OperationalError:
            pytest.skip("this SQLite has no dbstat table")
    with kb.open("r+b") as handle:
        for page, size in pages:
            handle.seek((page - 1) * size)
            handle.write(b"\xa5" * size)


def test_issue_20_damaged_kb_makes_health_503_and_requests_one_line_500(tmp_path):
    kb = tmp_path / "kb.sqlite"
    shutil.copy(BUNDLED_MODEL / "kb.sqlite", kb)
    damage_title_index(kb)
    with TestClient(create_app(lambda: jointel.load(BUNDLED_MODEL, kb), LIMITS)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        problem = (
            "the knowledge base could not be read (database disk image is malformed); "
            "rebuild it with `jointel kb build`"
        )
        assert health.json() == {"status": "error", "max_chars": 1000, "max_spans": 50, "detail": problem}
        response = client.post("/annotate", json={"text": GERMANY})
        assert response.status_code == 500
        assert response.json() == {"detail": problem}
        assert client.post("/annotate", json={"text": "Zzz qqq."}).status_code == 200  # no lookup of a title


class KBFailsOn:
    """The tiny model's Annotator, except that a text with `word` in it hits a damaged page of the KB."""

    def __init__(self, annotator: jointel.Annotator, word: str):
        self.annotator, self.word = annotator, word

    def annotate(self, text: str, **options) -> list[jointel.Mention]:
        if self.word in text:
            raise sqlite3.DatabaseError("database disk image is malformed")
        return self.annotator.annotate(text, **options)

    def close(self) -> None:
        self.annotator.close()


def test_issue_20_health_turns_503_after_a_request_fails_on_the_kb(tiny_model_dir):
    with TestClient(create_app(lambda: KBFailsOn(jointel.load(tiny_model_dir), "Yeltsin"), LIMITS)) as client:
        assert client.get("/health").json()["status"] == "ok"
        assert client.post("/annotate", json={"text": GERMANY}).status_code == 200
        response = client.post("/annotate", json={"text": "Boris Yeltsin"})
        assert response.status_code == 500
        assert response.json()["detail"].startswith("the knowledge base could not be read (database disk image")
        assert client.get("/health").status_code == 503
