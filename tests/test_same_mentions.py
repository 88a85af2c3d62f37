"""One inference path: the API, the CLI and the server return the same mentions for the same text."""

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

import jointel
from jointel.cli.app import app as cli
from jointel.server import create_app

TEXT = "Germany beat Argentina in Rio de Janeiro.\n\nParis Hilton visited Paris. EU rejects German call."


def test_api_cli_and_server_return_the_same_mentions(tiny_model_dir, tmp_path):
    with jointel.load(tiny_model_dir) as annotator:
        api = [
            {**vars(mention), "candidates": [list(pair) for pair in mention.candidates]}
            for mention in annotator.annotate(TEXT, top_k=3)
        ]
    assert len(api) == 7

    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(cli, ["annotate", TEXT, "--model", str(tiny_model_dir), "--top-k", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["mentions"] == api

    with TestClient(create_app(lambda: jointel.load(tiny_model_dir))) as client:
        served = client.post("/annotate", json={"text": TEXT, "top_k": 3}).json()["mentions"]
        rel = client.post("/", json={"text": TEXT}).json()
    for mention in served:
        mention["candidates"] = [[c["entity"], c["probability"]] for c in mention["candidates"]]
    assert served == api
    assert rel == [
        [m["start"], m["end"] - m["start"], m["text"], m["entity"] or "NIL", m["el_score"], m["ner_score"], m["label"]]
        for m in api
    ]
