import dataclasses

import pytest
import torch

from jointel.kb import KB
from jointel.model.joint import JointModel
from jointel.train.loop import train_model


@pytest.fixture
def tiny_training(tiny_kb, tiny_config):
    documents = [document for split in ("train", "testa", "testb") for document in tiny_kb.corpus[split]]
    config = dataclasses.replace(tiny_config, candidate_protocol="ppr", patience=100)
    return documents, config


@pytest.mark.parametrize(("document_casing_dim", "document_topic"), [(0, False), (4, True)])
def test_train_model_overfits_six_sentences(tiny_training, tiny_kb, tmp_path, document_casing_dim, document_topic):
    """NER and EL both learn the training sentences exactly: F1 = 1.0 (dev = train here)."""
    documents, config = tiny_training
    config = dataclasses.replace(
        config, epochs=40, document_casing_dim=document_casing_dim, document_topic=document_topic
    )
    with KB(tiny_kb.path) as kb:
        history = train_model(config, documents, documents, kb, tmp_path)
    best = max(history, key=lambda row: row.selection_score())
    assert best.dev_ner_f1 == 1.0
    assert best.dev_el_f1 == 1.0
    assert (tmp_path / "model" / "weights.pt").is_file()
    assert (tmp_path / "training_curve.png").stat().st_size > 1000


def test_a_model_without_contextual_features_never_loads_minilm(tiny_training, tiny_kb, tmp_path, monkeypatch):
    """MiniLM costs minutes of CPU on the full corpus: a model that does not read its vectors must not run it."""

    def no_minilm(*args, **kwargs):
        raise AssertionError("MiniLM loaded for a model without contextual features")

    monkeypatch.setattr("jointel.model.contextual_source.ContextualEncoder", no_minilm)
    documents, config = tiny_training
    assert config.contextual_dim == 0
    with KB(tiny_kb.path) as kb:
        history = train_model(dataclasses.replace(config, epochs=1), documents, documents, kb, tmp_path)
    assert len(history) == 1


def test_saved_model_loads_with_identical_predictions(tiny_training, tiny_kb, tmp_path):
    from jointel.model.inputs import KBAccess
    from jointel.model.predict import predict_documents

    documents, config = tiny_training
    with KB(tiny_kb.path) as kb:
        train_model(dataclasses.replace(config, epochs=3), documents, documents, kb, tmp_path)
        lookup = KBAccess.open(kb, "ppr", config.max_candidates)
        first = JointModel.load(tmp_path / "model")
        second = JointModel.load(tmp_path / "model")
        assert predict_documents(first, documents, lookup) == predict_documents(second, documents, lookup)
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name]), name
    shared = [tmp_path / "model", *(tmp_path / "model").iterdir(), tmp_path / "checkpoint.pt"]
    assert {path.name: path.stat().st_mode & 0o044 for path in shared} == {path.name: 0o044 for path in shared}
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []


@pytest.mark.parametrize("weight_average", [0.0, 0.9])
def test_resume_after_a_stop_gives_identical_parameters(tiny_training, tiny_kb, tmp_path, weight_average):
    """Training 4 epochs at once equals training 2, stopping, and resuming to 4 from the checkpoint (the weight
    average too, and the saved model is the same)."""
    documents, config = tiny_training
    config = dataclasses.replace(config, weight_average=weight_average)
    with KB(tiny_kb.path) as kb:
        train_model(dataclasses.replace(config, epochs=4), documents, documents, kb, tmp_path / "straight")
        train_model(dataclasses.replace(config, epochs=2), documents, documents, kb, tmp_path / "resumed")
        history = train_model(
            dataclasses.replace(config, epochs=4), documents, documents, kb, tmp_path / "resumed", resume=True
        )
    assert [row.epoch for row in history] == [1, 2, 3, 4]
    straight = torch.load(tmp_path / "straight" / "checkpoint.pt", weights_only=False)["model"]
    resumed = torch.load(tmp_path / "resumed" / "checkpoint.pt", weights_only=False)["model"]
    for name, tensor in straight.items():
        assert torch.equal(tensor, resumed[name]), name
    averages = [
        torch.load(tmp_path / run / "checkpoint.pt", weights_only=False)["average"] for run in ("straight", "resumed")
    ]
    assert (averages[0] is None) == (weight_average == 0.0)
    if averages[0] is not None:
        assert averages[0]["steps"] == averages[1]["steps"] > 0
        assert all(torch.equal(a, b) for a, b in zip(averages[0]["average"], averages[1]["average"], strict=True))
    saved = [JointModel.load(tmp_path / run / "model").state_dict() for run in ("straight", "resumed")]
    assert all(torch.equal(tensor, saved[1][name]) for name, tensor in saved[0].items())


def test_issue_20_a_resume_with_no_epoch_left_clears_what_a_killed_run_left(tiny_training, tiny_kb, tmp_path):
    """A kill during the last epoch's writes leaves temporaries and locks; the rerun with --resume finds every epoch
    done and writes nothing, so it must clear them itself (the reliability benchmark found such leftovers)."""
    documents, config = tiny_training
    with KB(tiny_kb.path) as kb:
        train_model(dataclasses.replace(config, epochs=1), documents, documents, kb, tmp_path)
        leftovers = [tmp_path / ".training_curve.png.abcd1234.tmp", tmp_path / ".training_curve.png.lock"]
        leftovers += [tmp_path / ".checkpoint.pt.x1y2z3w4.tmp", tmp_path / ".model.old"]
        for path in leftovers[:-1]:
            path.write_bytes(b"half")
        leftovers[-1].mkdir()
        history = train_model(dataclasses.replace(config, epochs=1), documents, documents, kb, tmp_path, resume=True)
    assert [row.epoch for row in history] == [1]
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith(".")) == []
    assert JointModel.load(tmp_path / "model").config.epochs == 1


def test_selection_ner_picks_the_best_ner_epoch_and_stops_on_it():
    """`selection="ner"` ranks epochs by dev NER F1 alone; `all` also counts EL and ED, and picks another epoch."""
    from jointel.train.loop import EpochResult, _patience_exhausted

    def epoch(n, ner, el):
        return EpochResult(n, 0.0, 0.0, ner, el, el, 1.0, 1.0)

    history = [epoch(1, 0.90, 0.80), epoch(2, 0.92, 0.70), epoch(3, 0.91, 0.71)]
    assert max(history, key=lambda row: row.selection_score("ner")).epoch == 2
    assert max(history, key=lambda row: row.selection_score("all")).epoch == 1
    assert _patience_exhausted(history, 2, "all")
    assert not _patience_exhausted(history, 2, "ner")


def test_training_with_dev_runs_every_epoch_keeps_the_last_and_learns_dev_words(tiny_kb, tiny_config, tmp_path):
    """Patience 0 stops a run after its first epoch; with `train_with_dev` dev cannot choose, so all epochs run."""
    from jointel.train.checkpoint import load_checkpoint

    train, dev = tiny_kb.corpus["train"], [*tiny_kb.corpus["testa"], *tiny_kb.corpus["testb"]]
    config = dataclasses.replace(tiny_config, candidate_protocol="ppr", epochs=3, patience=0)
    dev_only = {token.lower() for d in dev for s in d.sentences for token in s.tokens}
    dev_only -= {token.lower() for d in train for s in d.sentences for token in s.tokens}
    assert dev_only
    with KB(tiny_kb.path) as kb:
        assert len(train_model(config, train, dev, kb, tmp_path / "train")) == 1
        config = dataclasses.replace(config, train_with_dev=True)
        assert len(train_model(config, train, dev, kb, tmp_path / "both")) == 3
    model = JointModel.load(tmp_path / "both" / "model")
    last = load_checkpoint(tmp_path / "both" / "checkpoint.pt")["model"]
    assert all(torch.equal(tensor, last[name]) for name, tensor in model.state_dict().items())
    assert dev_only <= set(model.vocabs["words"].items)
    assert not dev_only & set(JointModel.load(tmp_path / "train" / "model").vocabs["words"].items)


def test_unknown_selection_is_a_config_error():
    from jointel.model.config import ConfigError, ModelConfig

    with pytest.raises(ConfigError, match="selection must be one of all, ner"):
        ModelConfig(selection="el")


def test_the_weight_average_follows_its_formula_and_is_what_evaluation_sees():
    """avg ← avg + (1 − d)(w − avg), d = min(decay, (1 + t) / (10 + t)); swapped in and out around evaluation."""
    from jointel.train.average import WeightAverage

    model = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        model.weight.fill_(1.0)
    average = WeightAverage(model, decay=0.5)
    expected = 1.0
    for step, value in enumerate([3.0, 5.0, -1.0]):
        with torch.no_grad():
            model.weight.fill_(value)
        average.update()
        decay = min(0.5, (1 + step) / (10 + step))
        expected = expected + (1 - decay) * (value - expected)
    assert average.average[0].item() == pytest.approx(expected)
    with average.swapped_in():
        assert model.weight.item() == pytest.approx(expected)
    assert model.weight.item() == -1.0
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(model, decay=1.0)


def test_weight_average_outside_zero_to_one_is_a_config_error():
    from jointel.model.config import ConfigError, ModelConfig

    with pytest.raises(ConfigError, match="weight_average"):
        ModelConfig(weight_average=1.5)


def test_is_finished_after_every_epoch_or_patience_without_improvement(tiny_config):
    """What `train --resume` and scripts/wikipedia_training.py read: is a run over, or still training?"""
    from jointel.train.loop import EpochResult, is_finished

    config = dataclasses.replace(tiny_config, epochs=4, patience=2)
    scores = [0.90, 0.80, 0.85, 0.95]
    history = [EpochResult(n + 1, 0.0, 0.0, ner, 0.0, 0.0, 1.0, 1.0) for n, ner in enumerate(scores)]
    assert [is_finished(history[:n], config) for n in range(5)] == [False, False, False, True, True]
    with_dev = dataclasses.replace(config, train_with_dev=True)  # dev cannot stop it: all epochs run
    assert [is_finished(history[:n], with_dev) for n in range(5)] == [False, False, False, False, True]


def test_a_mention_swap_rate_trains_on_the_stories_and_their_swapped_copies(
    tiny_training, tiny_kb, tmp_path, monkeypatch
):
    import jointel.train.loop as loop

    documents, config = tiny_training
    read = []

    def gold_features(stories, *args, **kwargs):
        read.extend(story.id for story in stories)
        return original(stories, *args, **kwargs)

    original = loop.gold_features
    monkeypatch.setattr(loop, "gold_features", gold_features)
    with KB(tiny_kb.path) as kb:
        train_model(dataclasses.replace(config, epochs=1, mention_swap_rate=1.0), documents, documents, kb, tmp_path)
    swapped = [story for story in read if story.endswith(" swapped")]
    assert swapped and read == [story.id for story in documents] + swapped
