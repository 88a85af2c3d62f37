"""Knowledge distillation, the student's side: the loss of a batch given the teacher's soft targets (`distil.py`).

    total = (1 − α) · (gold NER + EL losses) + α · T² · (KL(teacher_T ‖ student_T) over actions + KL over links)

(Hinton et al. 2015: T² keeps the soft targets' gradients the size of the hard ones' whatever T.) Each divergence
is weighed by its task's weight (`ner_weight`, `el_weight`) as the gold losses are, so a single-task model learns
the one task from the teacher too, and both are summed per sentence as the gold losses are (see
`JointModel.gold_losses`). The student follows the same gold actions as the teacher, so the steps line up one for
one; a mention's candidates are matched by title (`aligned_link_target`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from jointel.model.batch import IGNORE, Batch
from jointel.model.features import SentenceFeatures
from jointel.model.joint import JointModel, Logits, LossParts
from jointel.train.distil import SoftTargets, aligned_link_target


def distilled_loss(
    model: JointModel, batch: Batch, sentences: Sequence[SentenceFeatures], targets: Sequence[SoftTargets]
) -> LossParts:
    """The loss of `batch` (of `sentences`, whose soft targets are `targets`) for a student with `distil_weight`
    and `distil_temperature`; `ner` and `el` are the gold losses, as without distillation."""
    config = model.config
    logits = model.logits(batch, with_links=config.el_weight > 0)
    ner, el = model.gold_losses(batch, logits)
    gold = config.ner_weight * ner + config.el_weight * el
    soft = distillation_divergence(model, batch, logits, sentences, targets)
    alpha, temperature = config.distil_weight, config.distil_temperature
    total = (1 - alpha) * gold + alpha * temperature**2 * soft
    return LossParts(total, float(ner.detach()), float(el.detach()))


def distillation_divergence(
    model: JointModel,
    batch: Batch,
    logits: Logits,
    sentences: Sequence[SentenceFeatures],
    targets: Sequence[SoftTargets],
) -> Tensor:
    """ner_weight · KL over the actions + el_weight · KL over the links, at the model's temperature, per sentence."""
    config, temperature = model.config, model.config.distil_temperature
    valid = batch.actions != IGNORE  # (B, A)
    teacher_actions = _padded_actions(targets, valid)  # (B, A, n_actions)
    divergence = config.ner_weight * divergence_sum(teacher_actions[valid], logits.actions[valid], temperature)
    if logits.links is not None:
        rows, teacher_links = _link_targets(sentences, targets, logits.links.shape[1])
        if rows:
            links = logits.links[torch.tensor(rows)]
            divergence = divergence + config.el_weight * divergence_sum(teacher_links, links, temperature)
    return divergence / batch.words.shape[0]


def divergence_sum(teacher: Tensor, student_logits: Tensor, temperature: float) -> Tensor:
    """Σ over rows of KL(teacher_T ‖ student_T): `teacher` (M, K) probabilities at temperature 1, zero where the
    teacher puts no mass (an illegal action, a padding candidate); `student_logits` (M, K), -inf where illegal."""
    tempered = tempered_probabilities(teacher, temperature)
    log_student = torch.log_softmax(student_logits / temperature, dim=-1)
    present = tempered > 0  # 0 · log 0 = 0; and the student's -inf must not meet it
    return (tempered[present] * (tempered[present].log() - log_student[present])).sum()


def tempered_probabilities(probabilities: Tensor, temperature: float) -> Tensor:
    """softmax(log p / T) over the last dimension: the distribution a softmax of logits / T would have given."""
    if temperature == 1.0:
        return probabilities
    return torch.softmax(probabilities.log() / temperature, dim=-1)


def _padded_actions(targets: Sequence[SoftTargets], valid: Tensor) -> Tensor:
    """(B, A, n_actions) the teacher's action probabilities, zeros after each sentence's last step."""
    B, A = valid.shape
    padded = torch.zeros(B, A, targets[0].actions.shape[1]) if targets else torch.zeros(B, A, 1)
    for b, target in enumerate(targets):
        n_steps = int(valid[b].sum())
        if target.actions.shape[0] != n_steps:
            raise ValueError(f"teacher targets of {target.actions.shape[0]} steps for a sentence of {n_steps}")
        padded[b, :n_steps] = target.actions
    return padded


def _link_targets(
    sentences: Sequence[SentenceFeatures], targets: Sequence[SoftTargets], width: int
) -> tuple[list[int], Tensor]:
    """The gold mentions of `sentences` (rows of the batch's link scores) whose candidates share any with the
    teacher's, and the teacher's probabilities over their candidates (columns as the scores': candidates, padding,
    NIL last)."""
    rows, probabilities = [], []
    row = 0
    for sentence, target in zip(sentences, targets, strict=True):
        teacher = target.links if len(target.links) == len(sentence.candidates) else ({},) * len(sentence.candidates)
        for candidate_set, link in zip(sentence.candidates, teacher, strict=True):
            n = len(candidate_set.entities)
            aligned = aligned_link_target(link, [*candidate_set.entities, None])
            if aligned is not None:
                rows.append(row)
                probabilities.append([*aligned[:n], *[0.0] * (width - n - 1), aligned[-1]])
            row += 1
    return rows, torch.tensor(probabilities).view(len(rows), width)
