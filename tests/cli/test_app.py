import pytest
from typer.testing import CliRunner

from jointel.cli.app import app


def test_help_lists_the_command_groups():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("data", "kb", "evaluate-files", "train", "evaluate"):
        assert command in result.output


def test_data_stats_prints_counts_of_the_fixture(tiny_data_dir, tmp_path):
    env = {"JOINTEL_DATA": str(tiny_data_dir), "JOINTEL_CACHE": str(tmp_path), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["data", "stats"], env=env)
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line.split("│")[2:5] for line in result.output.splitlines() if "│" in line}
    assert [cell.strip() for cell in rows["documents"]] == ["2", "1", "1"]
    assert [cell.strip() for cell in rows["AIDA mentions"]] == ["5", "3", "3"]
    assert [cell.strip() for cell in rows["from AIDA mentions split by a sentence break"]] == ["1", "0", "0"]


def test_data_stats_missing_data_dir_is_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["data", "stats", "--data-dir", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_train_bad_config_is_one_line_error(tmp_path):
    config = tmp_path / "config.json"
    config.write_text('{"hiden": 200}')
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--out", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert "unknown config keys hiden" in result.output


def test_train_options_override_config_fields_and_are_saved(tiny_kb, kb_data_dir, tmp_path):
    import json

    env = {"JOINTEL_DATA": str(kb_data_dir), "JOINTEL_CACHE": str(tmp_path / "cache")}
    tiny = ["--word-dim", "8", "--no-pretrained-vectors", "--hidden", "12", "--context-hidden", "8", "--epochs", "1"]
    args = ["train", "--out", str(tmp_path / "run"), "--kb", str(tiny_kb.path), *tiny]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert (saved["hidden"], saved["word_dim"], saved["pretrained_vectors"], saved["epochs"]) == (12, 8, False, 1)
    assert saved["dropout"] == 0.3  # untouched fields keep their defaults


def test_issue_20_11_resume_with_other_sizes_or_a_broken_checkpoint_is_one_line(tiny_kb, kb_data_dir, tmp_path):
    """`--resume --hidden 14` after training with 12 printed a 100-line size-mismatch traceback."""
    env = {"JOINTEL_DATA": str(kb_data_dir), "JOINTEL_CACHE": str(tmp_path / "cache")}
    run = tmp_path / "run"
    tiny = ["--word-dim", "8", "--no-pretrained-vectors", "--context-hidden", "8", "--kb", str(tiny_kb.path)]
    first = CliRunner().invoke(app, ["train", "--out", str(run), *tiny, "--hidden", "12", "--epochs", "1"], env=env)
    assert first.exit_code == 0, first.output
    before = (run / "checkpoint.pt").read_bytes()
    args = ["train", "--out", str(run), "--resume", *tiny, "--epochs", "2"]
    result = CliRunner().invoke(app, [*args, "--hidden", "14"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {run / 'checkpoint.pt'}: tensors of another model: ")
    assert f"resume with the options the run began with ({run / 'model' / 'config.json'})" in result.stderr
    assert result.stderr.count("\n") == 1
    assert (run / "checkpoint.pt").read_bytes() == before
    (run / "checkpoint.pt").write_bytes(before[: len(before) // 3])
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {run / 'checkpoint.pt'}: not a jointel checkpoint (truncated?); train again without --resume, or "
        "into a new --out\n"
    )


@pytest.mark.parametrize(("option", "value"), [("--batch-size", "0"), ("--batch-size", "-5"), ("--epochs", "-1")])
def test_issue_20_16_train_options_below_their_field_minimum_are_usage_errors(tmp_path, option, value):
    result = CliRunner().invoke(app, ["train", option, value, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output
    assert not (tmp_path / "run").exists()
