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
