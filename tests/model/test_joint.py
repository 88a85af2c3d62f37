import json
import re
from dataclasses import asdict

import numpy as np
import pytest
import torch

from jointel.data.documents import Span
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.joint import JointModel, Prediction


def test_set_word_vectors_puts_each_vector_on_its_words_row(tiny_config, tiny_vocabs):
    model = JointModel(tiny_config, tiny_vocabs)
    vectors = np.arange(3 * 16, dtype=np.float32).reshape(3, 16)
    model.set_word_vectors(["paris", "not-in-vocab", "germany"], vectors)
    words = tiny_vocabs["words"]
    assert torch.equal(model.encoder.words.weight[words.index("paris")], torch.from_numpy(vectors[0]))
    assert torch.equal(model.encoder.words.weight[words.index("germany")], torch.from_numpy(vectors[2]))


def test_config_load_rejects_unknown_keys(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"hiden": 3}')
    with pytest.raises(ConfigError, match="unknown config keys hiden"):
        ModelConfig.load(path)


def test_config_load_bad_json_names_line(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{\n"hidden": }')
    with pytest.raises(ConfigError, match=r"config.json:2: not valid JSON"):
        ModelConfig.load(path)


def test_config_link_isolation_needs_link_coherence():
    with pytest.raises(ConfigError, match=r"link_isolation .* needs link_coherence"):
        ModelConfig(link_isolation=True)
    assert ModelConfig(link_coherence=True, link_isolation=True).link_isolation


@pytest.mark.parametrize(
    ("rate", "problem"), [(-0.1, "must be at least 0, not -0.1"), (1.5, "is a share of training mentions: at most 1")]
)
def test_config_name_only_rate_is_a_share(rate, problem):
    with pytest.raises(ConfigError, match=f"name_only_rate {problem}"):
        ModelConfig(name_only_rate=rate)


def test_load_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"config\.json: missing; is .* a model saved by jointel"):
        JointModel.load(tmp_path)


def test_load_reads_half_precision_weights(tiny_config, tiny_vocabs, tmp_path):
    model = JointModel(tiny_config, tiny_vocabs)
    model.save(tmp_path)
    half = {name: value.half() if value.is_floating_point() else value for name, value in model.state_dict().items()}
    torch.save(half, tmp_path / "weights.pt")
    loaded = JointModel.load(tmp_path)
    weight = loaded.encoder.words.weight
    assert weight.dtype == torch.float32
    assert torch.allclose(weight, model.encoder.words.weight, atol=1e-2)


def test_linked_anyway_takes_the_best_candidate_only_where_nil_won():
    nil = Prediction(Span(0, 1, "LOC", None), 0.9, 0.6, (("Paris", 0.3), ("Paris,_Texas", 0.1)))
    assert nil.linked_anyway() == Prediction(Span(0, 1, "LOC", "Paris"), 0.9, 0.3, nil.candidates)
    linked = Prediction(Span(0, 1, "LOC", "Paris"), 0.9, 0.7, (("Paris", 0.7),))
    assert linked.linked_anyway() is linked
    no_candidates = Prediction(Span(0, 1, "LOC", None), 0.9, 1.0)
    assert no_candidates.linked_anyway() is no_candidates


def test_a_saved_config_without_a_newer_key_loads_as_its_model_was_trained(tmp_path):
    """A model saved before `normalized_match` existed compared raw surfaces; a new config gets the fix."""
    path = tmp_path / "config.json"
    path.write_text('{"hidden": 3}')
    assert ModelConfig.load(path).normalized_match
    assert not ModelConfig.load(path, saved_model=True).normalized_match
    path.write_text('{"hidden": 3, "normalized_match": true}')
    assert ModelConfig.load(path, saved_model=True).normalized_match


@pytest.fixture
def saved_model(tiny_config, tiny_vocabs, tmp_path):
    """A tiny untrained model saved in `tmp_path / "model"`, for tests that break one of its files."""
    JointModel(tiny_config, tiny_vocabs).save(tmp_path / "model")
    return tmp_path / "model"


def _flip_bytes_in_the_middle(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 8]) + data[middle + 8 :]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"",  # typer printed a bare "Aborted." (torch's EOFError)
        lambda data: data[: len(data) // 2],  # a RuntimeError about the zip's central directory
        lambda data: b"hello garbage\n",  # a KeyError from the legacy unpickler
        _flip_bytes_in_the_middle,  # torch checks no CRC: it loaded damaged tensors, or raised UnicodeDecodeError
    ],
    ids=["empty", "truncated", "garbage", "damaged"],
)
def test_issue_20_11_a_broken_weights_file_is_a_config_error_naming_it(saved_model, damage):
    weights = saved_model / "weights.pt"
    weights.write_bytes(damage(weights.read_bytes()))
    with pytest.raises(ConfigError) as raised:
        JointModel.load(saved_model)
    assert str(raised.value) == f"{weights}: not a jointel weights file (truncated?); retrain or copy it again"


def test_issue_20_11_weights_of_other_sizes_name_the_first_misfit(saved_model, tiny_config):
    """hidden 16 → 12 changes the shape of every parser and linker tensor; load_state_dict printed ~100 lines."""
    ModelConfig(**{**asdict(tiny_config), "hidden": 12}).save(saved_model / "config.json")
    with pytest.raises(ConfigError) as raised:
        JointModel.load(saved_model)
    message = str(raised.value)
    assert message.startswith(f"{saved_model / 'weights.pt'}: tensors of another model: parser.")
    assert re.search(r"is \(\d+, 16\) here, \(\d+, 12\) in the model \(and \d+ more\); were config\.json", message)
    assert "\n" not in message


def test_issue_20_11_a_weights_file_of_no_state_dict_is_a_config_error(saved_model):
    torch.save([torch.zeros(2)], saved_model / "weights.pt")
    with pytest.raises(ConfigError, match=r"weights\.pt: not a jointel state dict"):
        JointModel.load(saved_model)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"words": ["<pad>", "<unk>", "par', "not a jointel vocabularies file (truncated?); retrain or copy it again"),
        ('{"words": [], "chars": []}', "expected {'words': [strings], 'chars': [strings], 'entities': [strings]}"),
        ('{"words": [1], "chars": [], "entities": []}', "expected {'words': [strings]"),
    ],
)
def test_issue_20_11_a_broken_vocabularies_file_is_a_config_error_naming_it(saved_model, text, problem):
    (saved_model / "vocabs.json").write_text(text)
    with pytest.raises(ConfigError) as raised:
        JointModel.load(saved_model)
    assert str(raised.value).startswith(f"{saved_model / 'vocabs.json'}: {problem}")


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("hidden", "abc", 'hidden must be an integer, not "abc"'),  # was a TypeError inside torch's LSTM
        ("hidden", 12.0, "hidden must be an integer, not 12.0"),
        ("candidate_protocol", "bogus", "candidate_protocol must be one of realistic, ppr, wikipedia, not 'bogus'"),
        ("pretrained_vectors", 1, "pretrained_vectors must be true or false, not 1"),
        ("batch_size", 0, "batch_size must be at least 1, not 0"),
        ("dropout", -0.5, "dropout must be at least 0, not -0.5"),
    ],
)
def test_issue_20_11_config_values_of_the_wrong_type_or_range_name_file_and_key(saved_model, key, value, problem):
    path = saved_model / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), key: value}))
    with pytest.raises(ConfigError) as raised:
        JointModel.load(saved_model)
    assert str(raised.value) == f"{path}: {problem}"


def test_config_accepts_whole_numbers_for_floats_and_any_seed():
    config = ModelConfig(dropout=0, seed=-3, learning_rate=1)
    assert (config.dropout, config.seed, config.learning_rate) == (0, -3, 1)
