import json
from dataclasses import asdict

import pytest

from jointel.model.config import ConfigError, ModelConfig


def test_config_round_trips_the_distillation_fields(tmp_path):
    config = ModelConfig(distil_weight=0.3, distil_temperature=2.5)
    config.save(tmp_path / "config.json")
    loaded = ModelConfig.load(tmp_path / "config.json")
    assert (loaded.distil_weight, loaded.distil_temperature) == (0.3, 2.5)
    assert loaded == config


@pytest.mark.parametrize("saved_model", [False, True])
def test_config_saved_before_distillation_loads_without_it(tmp_path, saved_model):
    values = asdict(ModelConfig(hidden=12))
    del values["distil_weight"], values["distil_temperature"]
    (tmp_path / "config.json").write_text(json.dumps(values))
    loaded = ModelConfig.load(tmp_path / "config.json", saved_model=saved_model)
    assert (loaded.hidden, loaded.distil_weight, loaded.distil_temperature) == (12, 0.0, 1.0)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("distil_weight", 1.5, "distil_weight is a share of the loss: in [0, 1], not 1.5"),
        ("distil_weight", -0.1, "distil_weight must be at least 0, not -0.1"),
        ("distil_temperature", 0.0, "distil_temperature must be more than 0, not 0.0"),
    ],
)
def test_config_rejects_distillation_settings_out_of_range(field, value, message):
    with pytest.raises(ConfigError) as error:
        ModelConfig(**{field: value})
    assert str(error.value) == message
