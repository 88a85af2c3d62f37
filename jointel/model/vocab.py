"""Vocabularies (words, characters, entities): string ↔ index tables saved as JSON beside the weights."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jointel.data.files import write_atomic

PAD, UNK = "<pad>", "<unk>"


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


def save_vocabs(path: Path, vocabs: dict[str, Vocab]) -> None:
    text = json.dumps({name: vocab.items for name, vocab in vocabs.items()}, ensure_ascii=False)
    write_atomic(Path(path), text.encode("utf-8"))


def load_vocabs(path: Path) -> dict[str, Vocab]:
    return {name: Vocab(items) for name, items in json.loads(Path(path).read_text()).items()}
