import json
import shutil

from typer.testing import CliRunner

import jointel
from jointel.cli.app import app

GERMANY = "Germany beat Argentina in Rio de Janeiro."


def test_an_ensemble_of_copies_annotates_evaluates_and_calibrates_as_its_model(tiny_model_dir, tiny_kb, tmp_path):
    """Two copies of one model average to that model: same mentions, links and scores through every interface."""
    members = [shutil.copytree(tiny_model_dir, tmp_path / name) for name in ("seed1", "seed2")]
    out = tmp_path / "ensemble"
    env = {"JOINTEL_CACHE": str(tmp_path / "cache"), "COLUMNS": "200"}
    result = CliRunner().invoke(app, ["ensemble", *map(str, members), "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    with jointel.load(tiny_model_dir) as alone, jointel.load(out, kb=tiny_kb.path) as together:
        assert together.annotate(GERMANY) == alone.annotate(GERMANY)
        assert [m.entity for m in together.annotate(GERMANY)] == ["Germany", None, "Rio_de_Janeiro"]
    outputs = []
    for model in (members[0], out):
        args = ["evaluate", "--model", str(model), "--split", "testa", "--kb", str(tiny_kb.path)]
        result = CliRunner().invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
        outputs.append([line for line in result.output.splitlines() if line.startswith("│")])
    assert outputs[0] == outputs[1]
    thresholds = []
    for model in (members[0], out):  # beside the ensemble's own config.json, as beside the model's
        result = CliRunner().invoke(app, ["calibrate", "--model", str(model), "--kb", str(tiny_kb.path)], env=env)
        assert result.exit_code == 0, result.output
        thresholds.append(json.loads((model / "nil_threshold.json").read_text())["nil_threshold"])
    assert thresholds[0] == thresholds[1]
    assert jointel.load(out, kb=tiny_kb.path).nil_threshold == thresholds[1]


def test_ensemble_refuses_to_write_into_another_directory_or_mix_models(tiny_model_dir, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    result = CliRunner().invoke(app, ["ensemble", str(tiny_model_dir), "--out", str(busy)])
    assert result.exit_code == 1
    assert "is not an ensemble directory" in result.output
    result = CliRunner().invoke(
        app, ["ensemble", str(tiny_model_dir), str(tmp_path / "nothing"), "--out", str(tmp_path / "e")]
    )
    assert result.exit_code == 1
    assert "nothing" in result.output and "Traceback" not in result.output
