import threading

import pytest
from fastapi.testclient import TestClient

import jointel
from jointel.server import create_app

GERMANY = "Germany beat Argentina in Rio de Janeiro."


@pytest.fixture
def client(tiny_model_dir):
    with TestClient(create_app(lambda: jointel.load(tiny_model_dir), max_chars=1000)) as test_client:
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
    assert response.json() == {"status": "ok", "max_chars": 1000}


def test_text_over_the_limit_is_413(client):
    response = client.post("/annotate", json={"text": "Paris " * 200})
    assert response.status_code == 413
    assert response.json()["detail"] == "text has 1200 characters; this server accepts at most 1000"
    assert client.post("/", json={"text": "x" * 1001}).status_code == 413


def test_huge_body_is_413_before_it_is_parsed(client):
    response = client.post("/annotate", content=b'{"text": "' + b"x" * 100_000 + b'"}')
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]


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
