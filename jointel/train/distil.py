"""Knowledge distillation, the teacher's side: what a teacher model (the accurate one, with MiniLM's vectors) believes
at every gold step and gold mention of the training sentences, as plain data the student's loss reads
(`distil_loss.py`).

The teacher reads the training documents as it was trained to: its own vocabularies, its own contextual vectors
(from the run's cache, so MiniLM does not read the corpus again), its own candidate protocol and features. The
priors are held out as the student's are (`ModelConfig.leave_one_out_priors` of the student): otherwise the teacher
would see each document's own links in the priors, and pass that knowledge on as confidence.

The teacher's distributions are kept at temperature 1; the student's loss softens them (`tempered`). Several
teachers teach as one ensemble: the student learns the mean of their distributions (`mean_targets`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import Tensor

from jointel.data.documents import Document
from jointel.kb.lookup import KB
from jointel.model.actions import ACTIONS
from jointel.model.batch import length_batches
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.contextual_source import ContextualSource, contextual_vectors
from jointel.model.features import SentenceFeatures
from jointel.model.inputs import HeldOut, KBAccess, NameOnly, gold_features
from jointel.model.joint import JointModel

logger = logging.getLogger(__name__)

LinkTarget = dict[str | None, float]  # entity title (None = NIL) → probability


@dataclass(frozen=True)
class SoftTargets:
    """The teacher's distributions on one training sentence."""

    actions: Tensor  # (n_steps, n_actions) probabilities of the actions at each gold step, columns `action_names`
    links: tuple[LinkTarget, ...]  # one per gold mention (by start); empty for a mention without candidates
    action_names: tuple[str, ...] = ACTIONS


def check_teachers(config: ModelConfig, teachers: Sequence[Path]) -> None:
    """A ConfigError, before any work, when `config` distils without a teacher or a teacher is no saved model."""
    if config.distil_weight > 0 and not teachers:
        raise ConfigError(f"distil_weight {config.distil_weight} needs a teacher model to learn from (--teacher DIR)")
    for teacher in teachers:
        if not (Path(teacher) / "config.json").is_file():
            raise ConfigError(f"{teacher}: no config.json; is it a model saved by jointel (the teacher)?")
    if teachers and config.distil_weight == 0:
        logger.warning("teachers not read: distil_weight is 0 (%s)", ", ".join(map(str, teachers)))


def load_teacher(directory: Path, contextual_cache: Path | None = None) -> JointModel:
    """The teacher saved in `directory`, reading its contextual vectors (if it has any) through `contextual_cache`."""
    config = ModelConfig.load(Path(directory) / "config.json", saved_model=True)
    return JointModel.load(directory, ContextualSource.for_config(config, contextual_cache, directory=Path(directory)))


def teacher_targets(
    teacher: JointModel,
    documents: Sequence[Document],
    kb: KB,
    held_out: bool,
    name_only: NameOnly | None = None,
) -> list[SoftTargets]:
    """The teacher's soft targets for every sentence of `documents`, in the order `gold_features` lists them.

    `held_out`: take each document's own links out of the priors (training documents, as the student sees them);
    `name_only`: show gold entities as the student's training does (`NameOnly`), so that both read the same.
    """
    config = teacher.config
    access = KBAccess.for_model(kb, config.candidate_protocol, config)
    vectors = contextual_vectors(teacher.contextual, [[s.tokens for s in document.sentences] for document in documents])
    token_ids = teacher.token_ids()
    leave_out = HeldOut.under(kb, access.protocol) if held_out else None
    with_links = config.el_weight > 0
    features = gold_features(documents, token_ids, access, vectors, leave_out, with_links, name_only)
    return sentence_targets(teacher, features, with_links)


def sentence_targets(model: JointModel, features: Sequence[SentenceFeatures], with_links: bool) -> list[SoftTargets]:
    """`model`'s distributions (eval mode: no dropout) at the gold steps and mentions of each of `features`."""
    was_training = model.training
    model.eval()
    targets: list[SoftTargets | None] = [None] * len(features)
    with torch.no_grad():  # not inference mode: the targets meet the student's graph
        for indices in length_batches([len(f.words) for f in features], model.config.batch_size):
            sentences = [features[i] for i in indices]
            batch = model.batch(sentences, with_candidates=with_links)
            logits = model.logits(batch, with_links=with_links)
            actions = logits.actions.softmax(-1)  # (B, A, n_actions)
            links = iter(logits.links.softmax(-1).tolist() if logits.links is not None else [])
            for row, (index, sentence) in enumerate(zip(indices, sentences, strict=True)):
                mentions = tuple(_link_target(next(links), s.entities) for s in sentence.candidates)
                targets[index] = SoftTargets(actions[row, : len(sentence.actions)].clone(), mentions)
    model.train(was_training)
    return [target for target in targets if target is not None]


def _link_target(probabilities: list[float], entities: Sequence[str]) -> LinkTarget:
    """A mention's row of link probabilities (its candidates, padding, NIL last) by title; {} without candidates."""
    if not entities:
        return {}
    return {**dict(zip(entities, probabilities[: len(entities)], strict=True)), None: probabilities[-1]}


def student_targets(targets: Sequence[SoftTargets], student_actions: Sequence[str]) -> list[SoftTargets]:
    """`targets` with their action columns in the student's order, matched by name; a ConfigError when the two
    models do not have the same actions."""
    if not targets:
        return []
    teacher_actions = targets[0].action_names
    if sorted(teacher_actions) != sorted(student_actions):
        raise ConfigError(
            f"the teacher's actions ({', '.join(teacher_actions)}) are not the student's ({', '.join(student_actions)})"
        )
    if tuple(teacher_actions) == tuple(student_actions):
        return list(targets)
    order = [teacher_actions.index(name) for name in student_actions]
    return [replace(t, actions=t.actions[:, order], action_names=tuple(student_actions)) for t in targets]


def mean_targets(per_teacher: Sequence[Sequence[SoftTargets]]) -> list[SoftTargets]:
    """Several teachers' targets on the same sentences as one teacher's (an ensemble's): the mean of their action
    distributions, and of their link distributions by title (a title a teacher does not list has 0 from it; a
    mention only the teachers with candidates for it speak of). Each teacher's actions in one order
    (`student_targets`)."""
    if len(per_teacher) == 1:
        return list(per_teacher[0])
    if len({len(targets) for targets in per_teacher}) != 1:
        raise ValueError("the teachers' targets are not of the same sentences")
    return [_mean_target(sentence) for sentence in zip(*per_teacher, strict=True)]


def _mean_target(targets: Sequence[SoftTargets]) -> SoftTargets:
    names = {target.action_names for target in targets}
    if len(names) != 1 or len({target.actions.shape for target in targets}) != 1:
        raise ValueError("the teachers' targets of a sentence differ in their actions or steps")
    actions = torch.stack([target.actions for target in targets]).mean(0)
    return SoftTargets(actions, tuple(map(_mean_link, zip(*(t.links for t in targets), strict=True))), names.pop())


def _mean_link(links: Sequence[LinkTarget]) -> LinkTarget:
    spoken = [link for link in links if link]
    keys = dict.fromkeys(key for link in spoken for key in link)  # titles in first-seen order, NIL among them
    return {key: sum(link.get(key, 0.0) for link in spoken) / len(spoken) for key in keys}


def aligned_link_target(teacher: Mapping[str | None, float], student: Sequence[str | None]) -> list[float] | None:
    """The teacher's probabilities of the student's candidates `student` (titles; None = NIL, when the student's
    linker has it), renormalised: mass on entities the student does not list is dropped. None when they share none.
    """
    probabilities = [teacher.get(key, 0.0) for key in student]
    total = sum(probabilities)
    if total <= 0.0:
        return None
    return [probability / total for probability in probabilities]
