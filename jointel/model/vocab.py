"""Vocabularies (words, characters, entities): string ↔ index tables built from training, saved as JSON beside the
weights."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jointel.data.documents import Document
from jointel.data.files import write_atomic
from jointel.kb.lookup import Candidate
from jointel.model.config import ConfigError

PAD, UNK = "<pad>", "<unk>"
VOCABS = ("words", "chars", "entities")


@dataclass
class Vocab:
    """Index 0 is padding, 1 the unknown item; `index()` maps anything unseen to 1."""

    items: list[str] = field(default_factory=lambda: [PAD, UNK])

    def __post_init__(self) -> None:
        self._index = {item: i for i, item in enumerate(self.items)}

    @classmethod
    def build(cls, items: Iterable[str]) -> Vocab:
        vocab = cls()
        for item in items:
            vocab.add(item)
        return vocab

    def add(self, item: str) -> int:
        if item not in self._index:
            self._index[item] = len(self.items)
            self.items.append(item)
        return self._index[item]

    def index(self, item: str) -> int:
        return self._index.get(item, 1)

    def __contains__(self, item: str) -> bool:
        return item in self._index

    def __len__(self) -> int:
        return len(self.items)


def build_vocabs(
    train: Sequence[Document], pretrained_words: Sequence[str], candidates: Callable[[int, str], list[Candidate]] | None
) -> dict[str, Vocab]:
    """Words (training words, then pre-trained ones), characters, and entities seen in training (gold, or among the
    `candidates` of a (document number, surface), e.g. `CandidateProtocol.candidates`).

    The pre-trained words come first so that their rows line up with the pre-trained matrix.
    """
    words = Vocab.build(pretrained_words)
    chars = Vocab()
    entities = Vocab()
    for document in train:
        for sentence in document.sentences:
            for token in sentence.tokens:
                words.add(token.lower())
                for char in token:
                    chars.add(char)
            for span in sentence.spans:
                if span.entity is not None:
                    entities.add(span.entity)
                if candidates is not None:
                    for candidate in candidates(document.number, " ".join(sentence.tokens[span.start : span.end])):
                        entities.add(candidate.entity)
    return {"words": words, "chars": chars, "entities": entities}


def save_vocabs(path: Path, vocabs: dict[str, Vocab]) -> None:
    text = json.dumps({name: vocab.items for name, vocab in vocabs.items()}, ensure_ascii=False)
    write_atomic(Path(path), text.encode("utf-8"))


def load_vocabs(path: Path) -> dict[str, Vocab]:
    """The vocabularies `save_vocabs` wrote; a truncated or foreign file is a ConfigError naming it."""
    path = Path(path)
    try:
        saved = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ConfigError(f"{path}: not a jointel vocabularies file (truncated?); retrain or copy it again") from None
    if not _is_vocabs(saved):
        raise ConfigError(f"{path}: expected {{{', '.join(f'{name!r}: [strings]' for name in VOCABS)}}}")
    return {name: Vocab(saved[name]) for name in VOCABS}


def _is_vocabs(saved: object) -> bool:
    """A JSON object of the three vocabularies, each a list of strings."""
    return (
        isinstance(saved, dict)
        and set(saved) == set(VOCABS)
        and all(isinstance(items, list) and all(isinstance(item, str) for item in items) for items in saved.values())
    )
