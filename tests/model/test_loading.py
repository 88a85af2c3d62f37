import torch

from jointel.model.ensemble import ENSEMBLE_FILE, Ensemble, save_ensemble
from jointel.model.joint import JointModel
from jointel.model.loading import is_ensemble, load_model


def _same_weights(first: JointModel, second: JointModel) -> bool:
    return all(torch.equal(value, second.state_dict()[name]) for name, value in first.state_dict().items())


def test_load_model_opens_a_model_or_an_ensemble_of_it(tiny_config, tiny_vocabs, tmp_path):
    model = JointModel(tiny_config, tiny_vocabs)
    model.save(tmp_path / "model")
    save_ensemble(tmp_path / "ensemble", [tmp_path / "model"])

    single = load_model(tmp_path / "model")
    ensemble = load_model(tmp_path / "ensemble")

    assert type(single) is JointModel
    assert _same_weights(single, model)
    assert type(ensemble) is Ensemble
    assert len(ensemble.members) == 1
    assert _same_weights(ensemble.members[0], model)


def test_is_ensemble_reads_the_members_file(tmp_path):
    assert not is_ensemble(tmp_path)
    (tmp_path / ENSEMBLE_FILE).write_text('{"members": []}')
    assert is_ensemble(tmp_path)
