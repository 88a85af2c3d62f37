import dataclasses

import pytest
import torch
from typer.testing import CliRunner

from jointel.cli.app import app
from jointel.kb import KB
from jointel.model.actions import ACTIONS
from jointel.model.config import ConfigError
from jointel.model.inputs import KBAccess, gold_features
from jointel.model.joint import JointModel
from jointel.model.tokens import TokenIds
from jointel.model.vocab import build_vocabs, load_vocabs
from jointel.train.distil import (
    SoftTargets,
    aligned_link_target,
    mean_targets,
    student_targets,
    teacher_targets,
)
from jointel.train.distil_loss import distillation_divergence, divergence_sum
from jointel.train.loop import train_model


def _documents(tiny_kb):
    return [document for split in ("train", "testa", "testb") for document in tiny_kb.corpus[split]]


def _features(model, documents, kb):
    access = KBAccess.for_model(kb, model.config.candidate_protocol, model.config)
    return gold_features(documents, TokenIds(model.vocabs["words"], model.vocabs["chars"]), access)


@torch.no_grad()
def _divergence(model, features, targets):
    """The distillation divergence (actions and links) of `model` in eval mode, all sentences in one batch."""
    model.eval()
    batch = model.batch(features)
    return float(distillation_divergence(model, batch, model.logits(batch), features, targets))


@torch.no_grad()
def _mean_action_divergence(model, features, targets):
    """KL(teacher ‖ model) per gold step, over the actions alone, at temperature 1."""
    model.eval()
    batch = model.batch(features, with_candidates=False)
    valid = batch.actions != -100
    teacher = torch.cat([target.actions for target in targets])  # sentence after sentence, as `valid` reads
    return float(divergence_sum(teacher, model.logits(batch, with_links=False).actions[valid], 1.0)) / len(teacher)


def _teacher_and_targets(tiny_model_dir, tiny_kb, held_out: bool):
    """The tiny model as teacher, its soft targets on the fixture documents, and its own features of them."""
    teacher = JointModel.load(tiny_model_dir)
    documents = _documents(tiny_kb)
    with KB(tiny_kb.path) as kb:
        return teacher, teacher_targets(teacher, documents, kb, held_out=held_out), _features(teacher, documents, kb)


def test_teacher_targets_are_distributions_over_each_gold_step_and_candidate_list(tiny_model_dir, tiny_kb):
    _, targets, features = _teacher_and_targets(tiny_model_dir, tiny_kb, held_out=True)
    documents = _documents(tiny_kb)
    assert len(targets) == len(features) == sum(len(document.sentences) for document in documents)
    for target, sentence in zip(targets, features, strict=True):
        assert target.actions.shape == (len(sentence.actions), len(ACTIONS))
        assert torch.allclose(target.actions.sum(-1), torch.ones(len(sentence.actions)))
        assert len(target.links) == len(sentence.spans)
        for link in target.links:
            assert link == {} or (None in link and sum(link.values()) == pytest.approx(1.0, abs=1e-5))
    assert sum(len(link) for target in targets for link in target.links) > 10  # candidates and NIL were scored


def test_distillation_divergence_is_zero_from_itself_and_positive_from_another_model(tiny_model_dir, tiny_kb):
    teacher, targets, features = _teacher_and_targets(tiny_model_dir, tiny_kb, held_out=False)
    for temperature in (1.0, 2.0):
        teacher.config = dataclasses.replace(teacher.config, distil_temperature=temperature)
        assert _divergence(teacher, features, targets) == pytest.approx(0.0, abs=1e-5)
    torch.manual_seed(7)
    stranger = JointModel(teacher.config, teacher.vocabs)
    assert _divergence(stranger, features, targets) > 0.5


def test_aligned_link_target_keeps_the_students_titles_renormalised():
    teacher = {"A": 0.5, "B": 0.3, None: 0.2}
    assert aligned_link_target(teacher, ["B", "C"]) == [1.0, 0.0]
    assert aligned_link_target(teacher, ["B", "C", None]) == pytest.approx([0.6, 0.0, 0.4])  # 0.3 / 0.5, 0.2 / 0.5
    assert aligned_link_target({"A": 1.0}, ["B", "C", None]) is None  # no overlap: the mention is skipped


def test_mean_targets_average_actions_and_links_by_title():
    first = SoftTargets(torch.tensor([[0.8, 0.2]]), ({"A": 0.6, None: 0.4}, {"C": 1.0, None: 0.0}), ("SHIFT", "OUT"))
    second = SoftTargets(torch.tensor([[0.4, 0.6]]), ({"B": 0.5, None: 0.5}, {}), ("SHIFT", "OUT"))
    (mean,) = mean_targets([[first], [second]])
    assert mean.actions.tolist() == [[pytest.approx(0.6), pytest.approx(0.4)]]
    assert mean.links[0] == pytest.approx({"A": 0.3, None: 0.45, "B": 0.25})  # B is 0 for the first teacher
    assert mean.links[1] == {"C": 1.0, None: 0.0}  # only the first teacher had candidates for it
    assert mean_targets([[first]]) == [first]
    with pytest.raises(ValueError, match="same sentences"):
        mean_targets([[first], [first, second]])
    with pytest.raises(ValueError, match="steps"):
        mean_targets([[first], [SoftTargets(torch.ones(2, 2) / 2, first.links, first.action_names)]])


def test_student_targets_map_action_columns_by_name():
    names = ("OUT", "SHIFT")
    target = SoftTargets(torch.tensor([[0.9, 0.1]]), (), names)
    (aligned,) = student_targets([target], ("SHIFT", "OUT"))
    assert aligned.actions.tolist() == [[pytest.approx(0.1), pytest.approx(0.9)]]
    with pytest.raises(ConfigError, match="not the student's"):
        student_targets([target], ("SHIFT", "OUT", "REDUCE-PER"))


def test_distilled_training_moves_the_student_toward_the_teacher(tiny_model_dir, tiny_kb, tiny_config, tmp_path):
    documents = _documents(tiny_kb)
    config = dataclasses.replace(
        tiny_config,
        candidate_protocol="realistic",
        epochs=3,
        patience=100,
        seed=3,
        distil_weight=0.5,
        distil_temperature=2.0,
    )
    with KB(tiny_kb.path) as kb:
        history = train_model(config, documents, documents, kb, tmp_path, teachers=[tiny_model_dir])
        targets = teacher_targets(JointModel.load(tiny_model_dir), documents, kb, held_out=False)
        torch.manual_seed(config.seed)  # the student's initial weights, as `train_model` made them
        before = JointModel(config, load_vocabs(tmp_path / "vocabs.json"))
        after = JointModel.load(tmp_path / "model")
        features = _features(after, documents, kb)
    assert len(history) == 3
    assert history[-1].ner_loss < history[0].ner_loss  # the gold loss, reported as without distillation
    kl_before = _mean_action_divergence(before, features, targets)
    kl_after = _mean_action_divergence(after, features, targets)
    assert kl_after < 0.9 * kl_before, (kl_before, kl_after)  # measured: 1.08 → 0.84
    assert after.config.distil_weight == 0.5


def test_distillation_alone_follows_a_teacher_that_gold_labels_do_not(tiny_kb, tiny_config, tmp_path):
    """An untrained teacher's distributions are nothing like the gold actions: trained on them alone (α = 1), the
    student comes closer to them than the same student trained on gold labels alone (α = 0)."""
    documents = _documents(tiny_kb)
    config = dataclasses.replace(tiny_config, candidate_protocol="realistic", epochs=3, patience=100)
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "realistic", config)
        torch.manual_seed(11)
        teacher = JointModel(config, build_vocabs(documents, [], access.protocol.candidates))
        teacher.save(tmp_path / "teacher")
        targets = teacher_targets(teacher, documents, kb, held_out=False)
        distilled = dataclasses.replace(config, distil_weight=1.0)
        train_model(distilled, documents, documents, kb, tmp_path / "distilled", teachers=[tmp_path / "teacher"])
        train_model(config, documents, documents, kb, tmp_path / "gold")
        students = [JointModel.load(tmp_path / name / "model") for name in ("distilled", "gold")]
        features = _features(students[0], documents, kb)
    kl_distilled, kl_gold = (_mean_action_divergence(student, features, targets) for student in students)
    assert kl_distilled < 0.5 * kl_gold, (kl_distilled, kl_gold)


def test_a_teacher_without_distil_weight_changes_nothing(tiny_model_dir, tiny_kb, tiny_config, tmp_path):
    documents = _documents(tiny_kb)
    config = dataclasses.replace(tiny_config, candidate_protocol="realistic", epochs=1)
    with KB(tiny_kb.path) as kb:
        plain = train_model(config, documents, documents, kb, tmp_path / "plain")
        with_teacher = train_model(config, documents, documents, kb, tmp_path / "teacher", teachers=[tiny_model_dir])
    assert plain[0].ner_loss == with_teacher[0].ner_loss
    first, second = JointModel.load(tmp_path / "plain" / "model"), JointModel.load(tmp_path / "teacher" / "model")
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name]), name


def test_distil_weight_without_a_teacher_is_a_one_line_error(tiny_kb, tiny_config, tmp_path):
    config = dataclasses.replace(tiny_config, distil_weight=0.5)
    with KB(tiny_kb.path) as kb, pytest.raises(ConfigError, match="needs a teacher"):
        train_model(config, _documents(tiny_kb), [], kb, tmp_path)
    result = CliRunner().invoke(app, ["train", "--distil-weight", "0.5", "--out", str(tmp_path / "run")])
    assert result.exit_code == 1
    assert result.output.strip() == "error: distil_weight 0.5 needs a teacher model to learn from (--teacher DIR)"


def test_train_command_distils_from_a_teacher(tiny_model_dir, tiny_kb, kb_data_dir, tmp_path):
    import json

    env = {"JOINTEL_DATA": str(kb_data_dir), "JOINTEL_CACHE": str(tmp_path / "cache")}
    tiny = ["--word-dim", "8", "--no-pretrained-vectors", "--hidden", "12", "--context-hidden", "8", "--epochs", "1"]
    teachers = ["--teacher", str(tiny_model_dir), "--teacher", str(tiny_model_dir)]  # an ensemble of two, the same
    distil = [*teachers, "--distil-weight", "0.5", "--distil-temperature", "2"]
    args = ["train", "--out", str(tmp_path / "run"), "--kb", str(tiny_kb.path), *tiny, *distil]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "run" / "model" / "config.json").read_text())
    assert (saved["distil_weight"], saved["distil_temperature"]) == (0.5, 2.0)
    assert f"distilling from {tiny_model_dir}, {tiny_model_dir}" in " ".join(result.output.split())
