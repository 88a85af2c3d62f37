import json
import os
import shutil
from dataclasses import replace

import pytest
from typer.testing import CliRunner

import jointel
from jointel.cli import calibrate as calibrate_module
from jointel.cli.app import app
from jointel.model.config import ModelConfig
from jointel.model.threshold import load_nil_threshold, save_nil_threshold

GERMANY = "Germany beat Argentina in Rio de Janeiro."


@pytest.fixture
def model_dir(tiny_model_dir, tmp_path):
    """A copy of the tiny model (the shared one stays read-only)."""
    return shutil.copytree(tiny_model_dir, tmp_path / "model")


@pytest.fixture
def env(kb_data_dir, tmp_path):
    return {"JOINTEL_DATA": str(kb_data_dir), "JOINTEL_CACHE": str(tmp_path / "cache"), "COLUMNS": "200"}


def _rows(output: str) -> dict[str, list[str]]:
    return {cells[1].strip(): [c.strip() for c in cells[2:-1]] for cells in _table_lines(output)}


def _calibration_rows(output: str) -> dict[str, list[str]]:
    """The before/after rows of calibrate's threshold table."""
    return {name: row for name, row in _rows(output).items() if name in ("before", "after")}


def _bias_rows(output: str) -> dict[str, list[str]]:
    """The rows of calibrate's table of NIL biases tried, by bias."""
    return {name: row for name, row in _rows(output).items() if name not in ("before", "after")}


def _table_lines(output: str) -> list[list[str]]:
    return [line.split("│") for line in output.splitlines() if line.startswith("│")]


def _unsure_and_wrong_germany(real):
    """The tiny model links its own testa right with probability 1.0 (Germany, Rio de Janeiro; Argentina NIL).
    Wrap its predictions so that Germany's link is wrong at 0.3 and Rio's right at 0.8 (NIL 0.15 and 0.2: lowering
    NIL's odds keeps both links and raises both probabilities, so that no NIL bias does better than none)."""

    def retouched(prediction):
        if prediction.span.entity == "Germany":
            wrong = (("West_Germany", 0.3), ("Germany", 0.28), ("Germania", 0.27))
            span = replace(prediction.span, entity="West_Germany")
            return replace(prediction, span=span, el_score=0.3, candidates=wrong, nil_score=0.15)
        if prediction.span.entity == "Rio_de_Janeiro":
            return replace(prediction, el_score=0.8, candidates=(("Rio_de_Janeiro", 0.8),), nil_score=0.2)
        return prediction

    def predict(model, documents, access):
        for rows in real(model, documents, access):
            yield [[retouched(prediction) for prediction in row] for row in rows]

    return predict


def test_calibrate_writes_the_threshold_and_plot_and_load_applies_it(model_dir, env, monkeypatch):
    monkeypatch.setattr(calibrate_module, "predict_scored", _unsure_and_wrong_germany(calibrate_module.predict_scored))
    original = ModelConfig.load(model_dir / "config.json")
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir)], env=env)
    assert result.exit_code == 0, result.output
    # Gold links Germany, Argentina_national_football_team, Rio_de_Janeiro. No threshold: tp 1 (Rio), fp 1
    # (West_Germany), fn 2 → P 50, R 33.33, F1 40. Threshold 0.8 makes West_Germany NIL: fp 0 → P 100, F1 50.
    assert _calibration_rows(result.output) == {
        "before": ["none", "2", "50.00", "33.33", "40.00"],
        "after": ["0.8000", "1", "100.00", "33.33", "50.00"],
    }
    assert "1 of 2 links flipped to NIL" in result.output
    assert _bias_rows(result.output)["0"] == ["0.8000", "50.00", "–"]  # every bias tried, none better than 0
    assert list(_bias_rows(result.output)) == ["0", "1", "2", "3", "4", "6", "8"]
    assert json.loads((model_dir / "nil_threshold.json").read_text()) == {"nil_threshold": 0.8, "nil_bias": 0.0}
    assert ModelConfig.load(model_dir / "config.json") == original  # the hyper-parameters untouched
    assert (model_dir / "nil_threshold.json").stat().st_mode & 0o777 == 0o644
    assert (model_dir / "reliability.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with jointel.load(model_dir) as annotator:
        assert annotator.nil_threshold == 0.8
    with jointel.load(model_dir, nil_threshold=0.0) as annotator:  # the caller's value wins
        assert annotator.nil_threshold == 0.0


def test_calibrate_clears_a_stale_threshold_when_none_helps(model_dir, env, tmp_path):
    save_nil_threshold(model_dir, 0.9)
    plot = tmp_path / "plots" / "calibration.png"
    plot.parent.mkdir()
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir), "--plot", str(plot)], env=env)
    assert result.exit_code == 0, result.output
    # Both links right (tp 2), Argentina's gold entity is no candidate (fn 1): F1 80 either way.
    assert _rows(result.output)["after"] == ["none", "2", "100.00", "66.67", "80.00"]
    assert "No threshold beats keeping every link" in result.output
    assert load_nil_threshold(model_dir) is None
    assert plot.read_bytes()[:4] == b"\x89PNG" and not (model_dir / "reliability.png").exists()


def test_calibrate_replaces_the_threshold_atomically(model_dir, env, monkeypatch):
    """Calibrating a model in use rewrites its threshold in one rename: a failure before the rename (a full disk)
    is one error line, and the model keeps its old threshold, with no temporary left beside it."""
    save_nil_threshold(model_dir, 0.5)
    replace_file = os.replace

    def full_disk(source, target):
        if os.fspath(target).endswith("nil_threshold.json"):
            raise OSError(28, "No space left on device", os.fspath(source))
        replace_file(source, target)

    monkeypatch.setattr(os, "replace", full_disk)
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir)], env=env)
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "Traceback" not in result.output
    assert load_nil_threshold(model_dir) == 0.5
    assert not [path for path in model_dir.iterdir() if path.name.endswith(".tmp")]


def test_calibrate_refuses_the_test_split(model_dir, env):
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir), "--split", "testb"], env=env)
    assert result.exit_code == 1
    assert "testb is the test split" in result.output and "--allow-test" in result.output
    assert not (model_dir / "nil_threshold.json").exists()
    allowed = CliRunner().invoke(
        app, ["calibrate", "--model", str(model_dir), "--split", "testb", "--allow-test"], env=env
    )
    assert allowed.exit_code == 0, allowed.output
    assert (model_dir / "reliability.png").is_file()


def test_calibrate_unknown_protocol_is_a_usage_error(model_dir, env):
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir), "--protocol", "oracle"], env=env)
    assert result.exit_code == 2
    assert "--protocol must be one of realistic, ppr" in result.output


def test_stored_threshold_applies_to_annotation_and_evaluation(model_dir, env, tiny_kb):
    """A threshold above every probability makes every link NIL in `jointel.load()` and in `jointel evaluate`."""
    save_nil_threshold(model_dir, 1.01)
    with jointel.load(model_dir) as annotator:
        assert [m.entity for m in annotator.annotate(GERMANY)] == [None, None, None]
    with jointel.load(model_dir, nil_threshold=0.0) as annotator:
        assert [m.entity for m in annotator.annotate(GERMANY)] == ["Germany", None, "Rio_de_Janeiro"]
    args = ["evaluate", "--model", str(model_dir), "--split", "testa", "--kb", str(tiny_kb.path)]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "NIL threshold 1.0100" in result.output and "2 links below it became NIL" in result.output
    # EL: no link is left, the 3 gold links are missed. NIL: testa has no gold NIL, so Germany and Rio de Janeiro
    # join Argentina (whose football team is no candidate) as false positives.
    assert _rows(result.output)["EL strong match micro (InKB)"] == ["0.00", "0.00", "0.00", "0", "0", "3"]
    assert _rows(result.output)["NIL detection"] == ["0.00", "0.00", "0.00", "0", "3", "0"]
    # Never NIL, every mention gets its best candidate whatever the threshold: Germany and Rio de Janeiro are
    # right again, and Argentina is linked to the country (one FP and one FN).
    assert "(never NIL; InKB scoring ignores gold NIL mentions): 66.67 (P 66.67, R 66.67)" in result.output


def test_evaluate_without_threshold_says_nothing_of_one(model_dir, env, tiny_kb):
    args = ["evaluate", "--model", str(model_dir), "--split", "testa", "--kb", str(tiny_kb.path)]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "NIL threshold" not in result.output
    assert _rows(result.output)["EL strong match micro (InKB)"] == ["100.00", "66.67", "80.00", "2", "0", "1"]


def test_evaluate_unknown_split_or_protocol_is_a_usage_error_before_loading(tmp_path):
    """`--split dev` was a KeyError traceback once the model and the corpus were loaded."""
    for option, value, choices in [("--split", "dev", "train, testa, testb"), ("--protocol", "oracle", "realistic")]:
        result = CliRunner().invoke(app, ["evaluate", "--model", str(tmp_path / "nowhere"), option, value])
        assert result.exit_code == 2
        assert f"{option} must be one of {choices}" in " ".join(result.output.split())


def test_calibrate_counts_the_links_of_several_sentence_files_together(model_dir, env, tmp_path):
    right, wrong = tmp_path / "right.jsonl", tmp_path / "wrong.jsonl"
    right.write_text(json.dumps({"text": GERMANY, "links": [["Rio de Janeiro", "Rio_de_Janeiro"]]}) + "\n")
    wrong.write_text(json.dumps({"text": GERMANY, "links": [["Germany", "Nowhere"], ["Argentina", "Nowhere"]]}) + "\n")
    arguments = ["calibrate", "--model", str(model_dir), "--sentences", str(right), "--sentences", str(wrong)]
    result = CliRunner().invoke(app, arguments, env=env, terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "right.jsonl + wrong.jsonl" in result.output
    shares = {line.split("│")[-2].strip() for line in result.output.splitlines() if line.count("│") == 5}
    assert shares == {"33.33"}  # one link of three, at every bias: links pooled, not files averaged


def test_calibrate_on_sentences_too_writes_a_bias_and_names_a_bad_file(model_dir, env, tmp_path):
    sentences = tmp_path / "dev.jsonl"
    sentences.write_text(json.dumps({"text": GERMANY, "links": [["Rio de Janeiro", "Rio_de_Janeiro"]]}) + "\n")
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir), "--sentences", str(sentences)], env=env)
    assert result.exit_code == 0, result.output
    written = json.loads((model_dir / "nil_threshold.json").read_text())
    assert written["nil_bias"] == 0.0  # the tiny model links Rio right with every bias: the smallest is kept
    sentences.write_text('{"text": "Rio", "links": [["Paris", "Paris"]]}\n')
    result = CliRunner().invoke(app, ["calibrate", "--model", str(model_dir), "--sentences", str(sentences)], env=env)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert str(sentences.name) in result.output
