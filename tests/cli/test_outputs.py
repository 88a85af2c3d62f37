"""Outputs of every command (issue 20 item 12): a directory, an unwritable place or a full disk is one line on stderr,
found before any work where it can be, and never costs the old file or leaves a temporary beside it."""

import errno
import os
import types

import pytest
from typer.testing import CliRunner

from jointel.cli.app import app

GOLD = "-DOCSTART- d1\nParis\tB-LOC\tParis\nis\tO\nnice\tO\n"


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize(
    ("command", "option", "example"),
    [
        (["evaluate", "--model", "nowhere"], "--predictions", "predictions.tsv"),
        (["evaluate", "--model", "nowhere"], "--out", "scores.json"),
        (["evaluate-files", "gold.tsv", "pred.tsv"], "--out", "scores.json"),
        (["calibrate", "--model", "nowhere"], "--plot", "reliability.png"),
        (["kb", "export", "--kb", "nowhere.sqlite"], "--out", "entities.jsonl"),
    ],
)
def test_issue_20_12_a_directory_output_is_refused_before_any_work(tmp_path, command, option, example):
    result = _invoke(*command, option, str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr == f"error: {option} {tmp_path} is a directory: give a file name, e.g. {tmp_path / example}\n"


def test_issue_20_12_train_refuses_an_output_directory_that_is_a_file(tmp_path):
    (tmp_path / "run").write_text("PRECIOUS\n")
    result = _invoke("train", "--out", str(tmp_path / "run"))
    assert result.exit_code == 1
    assert result.stderr == f"error: --out {tmp_path / 'run'} is a file: give a directory (it is created if missing)\n"
    assert (tmp_path / "run").read_text() == "PRECIOUS\n"


@pytest.mark.parametrize(("flags", "reason"), [(os.ST_RDONLY, "a read-only file system"), (0, "no permission")])
def test_issue_20_12_an_unwritable_output_is_refused_naming_option_and_place(tmp_path, monkeypatch, flags, reason):
    """Simulated (the tests run as root, who may write anywhere but on a read-only mount)."""
    monkeypatch.setattr("jointel.cli.outputs.os.access", lambda path, mode: False)
    monkeypatch.setattr("jointel.cli.outputs.os.statvfs", lambda path: types.SimpleNamespace(f_flag=flags))
    out = tmp_path / "new" / "scores.json"
    result = _invoke("evaluate-files", "gold.tsv", "pred.tsv", "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: --out {out}: cannot write in {tmp_path} ({reason}")
    assert result.stderr.count("\n") == 1


def test_issue_20_12_a_full_disk_keeps_the_old_scores_and_leaves_no_temporary(tmp_path, monkeypatch):
    gold, pred, out = tmp_path / "gold.tsv", tmp_path / "pred.tsv", tmp_path / "scores.json"
    gold.write_text(GOLD)
    pred.write_text(GOLD)
    out.write_text("PRECIOUS\n")

    def disk_full(path, data):
        path.open("wb").write(data[:10])  # part of it, then the disk is full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write to a file object: no file name

    monkeypatch.setattr("pathlib.Path.write_bytes", disk_full)
    result = _invoke("evaluate-files", str(gold), str(pred), "--out", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: No space left on device\n"
    assert out.read_text() == "PRECIOUS\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gold.tsv", "pred.tsv", "scores.json"]
