"""Several trained models of one configuration (seeds) used as one: they decode in lockstep and link together.

At each greedy step the parsers' probabilities over the actions are averaged and every parser takes the winner
(`decode_together`), so all members reduce the same chunks, each with its own state; each mention's link
probabilities are the members' mean. Members share their input features (vocabularies, gazetteer, contextual
vectors: computed once), so an ensemble of the accurate model costs little more than one: MiniLM dominates.

An ensemble directory holds `ensemble.json` (the member model directories, relative to it) and `config.json` (the
members' shared config); `jointel calibrate` writes the ensemble's NIL threshold beside them, as for one model
(`threshold.py`). `jointel.model.loading` opens either kind of model directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

import torch
from torch import Tensor

from jointel.data.documents import Span
from jointel.data.files import write_atomic
from jointel.model.candidate_features import CandidateSet
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.contextual_source import ContextualSource
from jointel.model.features import SentenceFeatures
from jointel.model.joint import JointModel, Prediction, TokenVectors, choose_links
from jointel.model.stack_lstm import Decoded, decode_together
from jointel.model.threshold import forget_nil_threshold
from jointel.model.tokens import TokenIds
from jointel.model.vocab import Vocab

ENSEMBLE_FILE = "ensemble.json"
MAY_DIFFER = ("seed",)  # config fields in which members may differ


class Ensemble:
    """Members that agree on every config field but `MAY_DIFFER` and on their vocabularies, used as one model.

    It answers what prediction and evaluation ask of a `JointModel` (`config`, `vocabs`, `contextual`, `encode`,
    `decode`, `link`, `gold_mentions`); token vectors come one `TokenVectors` per member, and parser states and
    chunks carry a member axis: (N, members, H).
    """

    def __init__(self, members: Sequence[JointModel]):
        if not members:
            raise ConfigError("an ensemble needs at least one member model")
        self.members = list(members)
        self.contextual = self.members[0].contextual  # the same features for every member
        self.config = _shared_config(self.members)
        self.vocabs = _shared_vocabs(self.members)

    def token_ids(self) -> TokenIds:
        """The members' token ids: they share their config and vocabularies, so their word classes too."""
        return self.members[0].token_ids()

    def eval(self) -> Ensemble:
        for member in self.members:
            member.eval()
        return self

    def encode(self, sentences: Sequence[SentenceFeatures], encode_batch: int = 256) -> list[TokenVectors]:
        """Each member's token vectors of `sentences` (members have their own encoders)."""
        return [member.encode(sentences, encode_batch) for member in self.members]

    def decode(self, vectors: Sequence[TokenVectors]) -> Decoded:
        with torch.inference_mode():
            decoded = decode_together(
                [member.parser for member in self.members],
                [(member_vectors.tokens, member_vectors.shares) for member_vectors in vectors],
                vectors[0].lengths,
            )
        first = decoded[0]
        return replace(
            first,
            states=torch.stack([d.states for d in decoded], dim=1),
            items=torch.stack([d.items for d in decoded], dim=1),
        )

    def gold_mentions(
        self,
        sentences: Sequence[SentenceFeatures],
        vectors: Sequence[TokenVectors] | None = None,
        rows: Sequence[int] = (),
    ) -> tuple[Tensor, Tensor, Tensor]:
        mentions = [
            member.gold_mentions(sentences, None if vectors is None else vectors[m], rows)
            for m, member in enumerate(self.members)
        ]
        states = torch.stack([state for state, _, _ in mentions], dim=1)
        items = torch.stack([item for _, item, _ in mentions], dim=1)
        return states, items, mentions[0][2]

    def link(
        self,
        states: Tensor,
        items: Tensor,
        labels: Tensor,
        spans: Sequence[Span],
        sets: Sequence[CandidateSet],
        ner_scores: Sequence[float],
        allow_nil: bool = True,
    ) -> list[Prediction]:
        """`JointModel.link` with each member's link probabilities averaged; `states` and `items` (N, members, H)."""
        if not sets:
            return []
        candidates = self.members[0].collate_candidates(sets)  # the same for every member: shared vocabularies
        probabilities = torch.stack(
            [
                member.link_probabilities(states[:, m], items[:, m], labels, candidates)
                for m, member in enumerate(self.members)
            ]
        ).mean(0)
        return choose_links(probabilities, spans, sets, ner_scores, allow_nil)


def _shared_config(members: Sequence[JointModel]) -> ModelConfig:
    first = asdict(members[0].config)
    for member in members[1:]:
        differ = sorted(
            name for name, value in asdict(member.config).items() if name not in MAY_DIFFER and first[name] != value
        )
        if differ:
            raise ConfigError(
                f"ensemble members must share their config but {', '.join(MAY_DIFFER)}; they differ in "
                f"{', '.join(differ)}"
            )
    return members[0].config


def _shared_vocabs(members: Sequence[JointModel]) -> dict[str, Vocab]:
    first = members[0].vocabs
    for member in members[1:]:
        differ = sorted(name for name in first if first[name].items != member.vocabs[name].items)
        if differ:
            raise ConfigError(f"ensemble members must share their vocabularies; they differ in {', '.join(differ)}")
    return first


def save_ensemble(directory: Path, members: Sequence[Path]) -> Ensemble:
    """Make `directory` an ensemble of the model directories `members` (stored relative to it); checks they fit."""
    directory = Path(directory)
    ensemble = Ensemble([JointModel.load(member) for member in members])
    directory.mkdir(parents=True, exist_ok=True)
    forget_nil_threshold(directory)  # calibrated for other members
    paths = [os.path.relpath(Path(member).resolve(), directory.resolve()) for member in members]
    ensemble.config.save(directory / "config.json")
    write_atomic(directory / ENSEMBLE_FILE, (json.dumps({"members": paths}, indent=2) + "\n").encode())
    return ensemble


def load_ensemble(directory: Path) -> Ensemble:
    directory = Path(directory)
    path = directory / ENSEMBLE_FILE
    try:
        members = json.loads(path.read_text())["members"]
    except (json.JSONDecodeError, KeyError, TypeError):
        members = None
    if not isinstance(members, list) or not all(isinstance(member, str) for member in members):
        raise ConfigError(f'{path}: expected {{"members": [model directories]}}')
    config = ModelConfig.load(directory / "config.json", saved_model=True)
    contextual = ContextualSource.for_config(config)  # one source for all members: they read the same vectors
    return Ensemble([JointModel.load(directory / member, contextual) for member in members])
