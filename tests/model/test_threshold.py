import json
import os

import pytest

import jointel
from jointel.annotate.annotator import BUNDLED_MODEL
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.joint import JointModel
from jointel.model.threshold import THRESHOLD_FILE, load_nil_bias, load_nil_threshold, save_nil_threshold


@pytest.fixture
def saved_model(tiny_config, tiny_vocabs, tmp_path):
    JointModel(tiny_config, tiny_vocabs).save(tmp_path / "model")
    return tmp_path / "model"


def _with_config_key(directory, value):
    """The model as versions before `nil_threshold.json` saved a calibrated one: a key of config.json."""
    path = directory / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "nil_threshold": value}, indent=2))


def test_an_uncalibrated_model_has_no_threshold(saved_model):
    assert load_nil_threshold(saved_model) is None


def test_a_threshold_in_an_old_config_json_still_applies(saved_model, tiny_model_dir, tmp_path):
    _with_config_key(saved_model, 0.3)
    assert load_nil_threshold(saved_model) == 0.3
    assert ModelConfig.load(saved_model / "config.json", saved_model=True) == JointModel.load(saved_model).config
    annotated = tmp_path / "annotated"
    annotated.mkdir()
    for name in ("vocabs.json", "weights.pt", "kb.sqlite", "config.json"):
        (annotated / name).write_bytes((tiny_model_dir / name).read_bytes())
    _with_config_key(annotated, 0.75)
    with jointel.load(annotated) as annotator:
        assert annotator.nil_threshold == 0.75


def test_the_bundled_model_reads_its_calibration_from_its_threshold_file():
    """Its config.json still has the key of the threshold calibrated before the NIL bias; the file wins."""
    if not BUNDLED_MODEL.is_dir():
        pytest.skip("no bundled model installed")
    calibrated = json.loads((BUNDLED_MODEL / THRESHOLD_FILE).read_text())
    assert load_nil_threshold(BUNDLED_MODEL) == calibrated["nil_threshold"] != 0.49854376912117004
    assert load_nil_bias(BUNDLED_MODEL) == calibrated["nil_bias"] > 0
    assert not hasattr(ModelConfig.load(BUNDLED_MODEL / "config.json", saved_model=True), "nil_threshold")


def test_the_threshold_file_wins_over_an_old_config_key_and_null_clears_it(saved_model):
    _with_config_key(saved_model, 0.3)
    save_nil_threshold(saved_model, 0.6)
    assert load_nil_threshold(saved_model) == 0.6
    save_nil_threshold(saved_model, None)
    assert load_nil_threshold(saved_model) is None


def test_new_weights_remove_a_threshold_calibrated_for_the_old_ones(saved_model, tiny_config, tiny_vocabs):
    _with_config_key(saved_model, 0.3)
    save_nil_threshold(saved_model, 0.6)
    JointModel(tiny_config, tiny_vocabs).save(saved_model)
    assert load_nil_threshold(saved_model) is None
    assert not (saved_model / THRESHOLD_FILE).exists()


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (THRESHOLD_FILE, '{"nil_threshold": "high"}', 'nil_threshold must be a finite number or null, not "high"'),
        (THRESHOLD_FILE, '{"nil_threshold": NaN}', "nil_threshold must be a finite number or null, not NaN"),
        (THRESHOLD_FILE, "[0.5]", "expected a JSON object"),
        (THRESHOLD_FILE, "{", "1: not valid JSON"),
        ("config.json", '{"nil_threshold": true}', "nil_threshold must be a finite number or null, not true"),
    ],
)
def test_a_bad_threshold_is_a_config_error_naming_its_file(saved_model, name, text, problem):
    (saved_model / name).write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_nil_threshold(saved_model)
    assert str(raised.value).startswith(f"{saved_model / name}") and problem in str(raised.value)


def test_save_nil_threshold_replaces_the_file_in_one_rename(saved_model, monkeypatch):
    """A failure before the rename (a kill, a full disk) leaves the old threshold whole and no temporary."""
    save_nil_threshold(saved_model, 0.5)
    before = sorted(os.listdir(saved_model))
    replace = os.replace

    def failing(source, target):
        if os.fspath(target).endswith(THRESHOLD_FILE):
            raise OSError(28, "No space left on device", os.fspath(source))
        replace(source, target)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="No space left"):
        save_nil_threshold(saved_model, 0.9)
    assert load_nil_threshold(saved_model) == 0.5
    assert sorted(os.listdir(saved_model)) == before
