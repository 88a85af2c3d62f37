import dataclasses
import json

import pytest
import torch

from jointel.kb import KB
from jointel.model.actions import REDUCE_ID
from jointel.model.config import ConfigError
from jointel.model.ensemble import ENSEMBLE_FILE, Ensemble, load_ensemble, save_ensemble
from jointel.model.inputs import KBAccess, gold_features
from jointel.model.joint import JointModel
from jointel.model.predict import link_given_spans, predict, predict_documents, with_predictions
from jointel.model.tokens import TokenIds


def _models(config, vocabs, seeds):
    """Untrained models that differ in their random weights: their choices differ, which is all these tests need."""
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(JointModel(dataclasses.replace(config, seed=seed), vocabs).eval())
    return models


@pytest.fixture
def setting(tiny_kb, tiny_config, tiny_vocabs):
    documents = [document for split in ("train", "testa", "testb") for document in tiny_kb.corpus[split]]
    config = dataclasses.replace(tiny_config, candidate_protocol="ppr")
    return documents, config, tiny_vocabs


def test_an_ensemble_of_one_predicts_as_its_member(setting, tiny_kb):
    documents, config, vocabs = setting
    (model,) = _models(config, vocabs, [1])
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "ppr", config)
        alone = predict_documents(model, documents, access)
        assert predict_documents(Ensemble([model]), documents, access) == alone
    assert sum(len(sentence.spans) for document in alone for sentence in document.sentences) > 0


def test_each_step_takes_the_action_the_members_find_most_probable_on_average(setting, tiny_kb):
    """Teacher-forced on the ensemble's own spans, the members' mean action probabilities pick every action taken,
    and each span's score is the mean probability of its REDUCE."""
    documents, config, vocabs = setting
    members = _models(config, vocabs, [1, 2, 3])
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "ppr", config)
        rows = predict(Ensemble(members), [(d.number, d.sentences) for d in documents], access)
        predicted = [with_predictions(document, row) for document, row in zip(documents, rows, strict=True)]
        singles = [predict_documents(member, documents, access) for member in members]
        features = gold_features(predicted, TokenIds(vocabs["words"], vocabs["chars"]), access)  # prediction's inputs
    assert any(single != predicted for single in singles)  # the members disagree: the vote decides something
    batch = members[0].batch(features, with_candidates=False)
    with torch.no_grad():
        probabilities = []
        for member in members:
            states, _ = member.parser.teacher_forced(member.encoder(batch), batch)
            buffer_size = batch.lengths.unsqueeze(1) - batch.buffer_index
            probabilities.append(member.parser.action_logits(states, batch.stack_size, buffer_size).softmax(-1))
    mean = torch.stack(probabilities).mean(0)
    valid = batch.actions != -100
    assert torch.equal(mean.argmax(-1)[valid], batch.actions[valid])
    reduce_probabilities = mean.reshape(-1, mean.shape[-1])[batch.chunk_steps, batch.chunk_labels + REDUCE_ID]
    scores = [p.ner_score for row in rows for sentence in row for p in sentence]
    assert scores == pytest.approx(reduce_probabilities.tolist(), abs=1e-5)


def test_links_are_the_mean_of_the_members_link_probabilities(setting, tiny_kb):
    documents, config, vocabs = setting
    members = _models(config, vocabs, [1, 2])
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "ppr", config)
        together = link_given_spans(Ensemble(members), documents, access, allow_nil=False)
        alone = [link_given_spans(member, documents, access, allow_nil=False) for member in members]
    checked = 0
    for i, rows in enumerate(together):
        for j, row in enumerate(rows):
            for k, prediction in enumerate(row):
                per_member = [dict(single[i][j][k].candidates) for single in alone]
                for entity, probability in prediction.candidates:
                    expected = sum(probabilities[entity] for probabilities in per_member) / len(per_member)
                    assert probability == pytest.approx(expected, abs=1e-6)
                    checked += 1
    assert checked > 10


def test_members_must_share_config_and_vocabularies(setting, tiny_vocabs):
    _, config, vocabs = setting
    first, second = _models(config, vocabs, [1, 2])
    Ensemble([first, second])  # seeds may differ
    other = JointModel(dataclasses.replace(config, hidden=8), vocabs)
    with pytest.raises(ConfigError, match="hidden"):
        Ensemble([first, other])
    fewer = {**vocabs, "entities": dataclasses.replace(vocabs["entities"], items=vocabs["entities"].items[:-1])}
    with pytest.raises(ConfigError, match="entities"):
        Ensemble([first, JointModel(config, fewer)])
    with pytest.raises(ConfigError, match="at least one"):
        Ensemble([])


def test_an_ensemble_directory_round_trips(setting, tmp_path):
    _, config, vocabs = setting
    paths = []
    for model in _models(config, vocabs, [1, 2]):
        model.save(tmp_path / "runs" / f"seed{model.config.seed}")
        paths.append(tmp_path / "runs" / f"seed{model.config.seed}")
    directory = tmp_path / "elsewhere" / "ensemble"
    save_ensemble(directory, paths)
    assert json.loads((directory / ENSEMBLE_FILE).read_text()) == {"members": ["../../runs/seed1", "../../runs/seed2"]}
    loaded = load_ensemble(directory)
    assert [member.config.seed for member in loaded.members] == [1, 2]
    for member, path in zip(loaded.members, paths, strict=True):
        saved = JointModel.load(path)
        assert all(torch.equal(value, saved.state_dict()[name]) for name, value in member.state_dict().items())


def test_a_broken_ensemble_file_is_a_clear_error(setting, tmp_path):
    (tmp_path / ENSEMBLE_FILE).write_text('{"models": []}')
    with pytest.raises(ConfigError, match="members"):
        load_ensemble(tmp_path)
    (tmp_path / ENSEMBLE_FILE).write_text('{"members": ["missing"]}')
    setting[1].save(tmp_path / "config.json")
    with pytest.raises(FileNotFoundError, match="missing"):
        load_ensemble(tmp_path)
