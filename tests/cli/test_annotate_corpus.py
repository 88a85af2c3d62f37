import json

import pytest
from typer.testing import CliRunner

import jointel
from jointel.annotate.shards import read_output
from jointel.cli.app import app

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own deprecated settings
TEXTS = ["Germany beat Argentina in Rio de Janeiro.", "Paris Hilton visited Paris.", "", "Phil Mickelson won."]
IDS = [0, 1, 2, 1]  # a duplicate id: warned about, both documents kept


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_annotate_corpus_writes_shards_then_resumes_with_nothing_to_do(tiny_model_dir, tmp_path):
    pytest.importorskip("ray")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "news.jsonl").write_text(
        "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(IDS, TEXTS, strict=True))
    )
    args = ["annotate-corpus", str(tmp_path / "in"), str(tmp_path / "out"), "--model", str(tiny_model_dir)]
    result = _invoke(*args, "--shard-size", "3", "--workers", "1", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert "4 documents in 2 shards, 2 to do" in result.output
    assert f"warning: 1 ids occur more than once, e.g. '1' at {tmp_path / 'in' / 'news.jsonl'}:2 and" in result.output
    assert "2 shards written, 0 skipped" in result.output
    got = read_output(tmp_path / "out" / "news.jsonl-00000.jsonl") + read_output(
        tmp_path / "out" / "news.jsonl-00001.jsonl"
    )
    with jointel.load(tiny_model_dir) as annotator:
        expected = list(annotator.annotate_many(TEXTS[:3])) + list(annotator.annotate_many(TEXTS[3:]))
    assert got == list(zip(["0", "1", "2", "1"], expected, strict=True))
    assert [m.entity for m in got[0][1]] == ["Germany", None, "Rio_de_Janeiro"]

    again = _invoke(*args, "--shard-size", "3", "--format", "jsonl")
    assert again.exit_code == 0, again.output
    assert "4 documents in 2 shards, 0 to do" in again.output

    other = _invoke(*args, "--shard-size", "2", "--format", "jsonl")
    assert other.exit_code == 1
    assert "error:" in other.output and "shard_size 3 → 2" in other.output and "Traceback" not in other.output


def test_annotate_corpus_bad_line_is_one_error_line(tmp_path):
    (tmp_path / "news.jsonl").write_text('{"id": "a", "text": "Paris."}\n{"id": "b", "body": "Rome."}\n')
    result = _invoke("annotate-corpus", str(tmp_path), str(tmp_path / "out"))
    assert result.exit_code == 1
    assert f'error: {tmp_path / "news.jsonl"}:2: no "text" key' in " ".join(result.output.split())
    assert not (tmp_path / "out").exists()


def test_annotate_corpus_missing_input_directory(tmp_path):
    result = _invoke("annotate-corpus", str(tmp_path / "nowhere"), str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "no such file or directory" in result.output


def test_annotate_corpus_bad_options_exit_2(tiny_model_dir, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "x", "text": "Paris."}\n')
    args = ["annotate-corpus", str(tmp_path / "in"), str(tmp_path / "out"), "--model", str(tiny_model_dir)]
    result = _invoke(*args, "--batch-size", "0")
    assert result.exit_code == 2  # typer rejects the option before anything runs
    result = _invoke(*args, "--format", "csv")
    assert result.exit_code == 2 and "--format must be one of parquet, jsonl" in " ".join(result.output.split())
