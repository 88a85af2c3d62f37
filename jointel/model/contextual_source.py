"""Where a model's contextual vectors come from: MiniLM (`contextual.py`), run on demand, and what is kept of its
output, in memory or on disk.

The network only reads the vectors it is handed (`SentenceFeatures.contextual`); computing and keeping them is the
business of whoever runs the model, as spaCy keeps a component's network apart from its knowledge base. So a
`ContextualSource` is made by the owner of a run (training, with the run's cache directory; `JointModel.load`, with
none) and handed to the model, which holds no cache of its own.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from jointel.data.files import write_atomic
from jointel.model.config import ConfigError, ModelConfig
from jointel.model.contextual import CONTEXTUAL_DIM, MINILM_LAYERS, READ_SHARE, ContextualEncoder, encoder_key

Sentences = Sequence[Sequence[str]]
TUNED_FILE = "minilm.pt"  # a saved model's tuned MiniLM layers (`ModelConfig.contextual_tuned`)
DocumentKey = tuple[tuple[str, ...], ...]  # a document's tokens, sentence by sentence: what its vectors depend on


class ContextualCache:
    """Contextual vectors of whole documents on disk: MiniLM is the slowest step of training and evaluating an
    accurate model, and every run of an experiment reads the same corpus.

    One `.npy` file per document, named by a hash of the encoder's `key` and the document's tokens, so that a change
    of either is a miss, never a stale hit. Files are written whole (temporary file, then rename): runs side by side
    share the directory. A file that cannot be read, or holds the wrong shape, is a miss and is written again.
    """

    def __init__(self, directory: Path, key: str) -> None:
        self.directory = Path(directory)
        self.key = key

    def path(self, sentences: Sentences) -> Path:
        digest = hashlib.sha256(json.dumps([self.key, [list(tokens) for tokens in sentences]]).encode()).hexdigest()
        return self.directory / f"{digest}.npy"

    def get(self, sentences: Sentences) -> list[np.ndarray] | None:
        """One (len(sentence), dimension) array per sentence, or None when the document is not cached."""
        try:
            vectors = np.load(self.path(sentences), allow_pickle=False)
        except (OSError, ValueError):
            return None
        lengths = [len(tokens) for tokens in sentences]
        if vectors.ndim != 2 or len(vectors) != sum(lengths) or vectors.dtype not in (np.float32, np.float16):
            return None
        return list(np.split(vectors, np.cumsum(lengths)[:-1])) if lengths else []

    def put(self, sentences: Sentences, vectors: Sequence[np.ndarray]) -> None:
        stacked = np.concatenate(vectors) if len(vectors) else np.zeros((0, CONTEXTUAL_DIM), dtype=np.float32)
        buffer = io.BytesIO()
        kept = np.float16 if stacked.dtype == np.float16 else np.float32  # the read-outs' two types
        np.save(buffer, stacked.astype(kept, copy=False), allow_pickle=False)
        write_atomic(self.path(sentences), buffer.getvalue())


class ContextualSource:
    """MiniLM's vectors of whole documents, one array (T, D) per sentence, for a model with `contextual_dim`.

    MiniLM is loaded on first use, so loading a model directory stays fast and a source that every document finds
    cached never loads it. What is kept is the owner's choice: with `remember`, each document's vectors stay in
    memory for the source's lifetime (training reads the dev split every epoch); with `cache_dir`, they go to files
    there and come from them (`ContextualCache`), so that the runs of an experiment compute each document once
    between them. A source with neither keeps nothing, so a server's memory does not grow with what it
    annotates. `depth`, `int8` and `read_share` choose the MiniLM that runs and how (`ContextualEncoder`).
    `encoder` stands in for MiniLM (tests).
    """

    def __init__(
        self,
        layers: str = "last4",
        cache_dir: Path | None = None,
        remember: bool = False,
        encoder: ContextualEncoder | None = None,
        depth: int = MINILM_LAYERS,
        int8: bool = False,
        read_share: float = READ_SHARE,
        tuned: Path | None = None,
    ) -> None:
        self.layers = layers
        self.settings = {"depth": depth, "int8": int8, "read_share": read_share, "tuned": tuned}
        self._encoder = encoder
        self._remembered: dict[DocumentKey, list[np.ndarray]] | None = {} if remember else None
        self._disk: ContextualCache | None = None
        if cache_dir is not None:
            key = encoder.key if encoder is not None else encoder_key(layers=layers, **self.settings)
            self._disk = ContextualCache(cache_dir, key)

    @classmethod
    def for_config(
        cls, config: ModelConfig, cache_dir: Path | None = None, remember: bool = False, directory: Path | None = None
    ) -> ContextualSource | None:
        """The source a model of `config` reads, None for a model without contextual features. A relative
        `contextual_tuned` is a file of the model's `directory` if given (a saved model), else of the working
        directory (a training config)."""
        if not config.contextual_dim:
            return None
        if config.contextual_dim != CONTEXTUAL_DIM:  # checked before the slow load
            raise ConfigError(
                f"contextual_dim is MiniLM's width, {CONTEXTUAL_DIM} (or 0 for no contextual vectors), "
                f"not {config.contextual_dim}"
            )
        return cls(
            config.contextual_layers,
            cache_dir,
            remember,
            depth=config.contextual_depth,
            int8=config.contextual_int8,
            read_share=config.contextual_read_share,
            tuned=tuned_path(config, directory),
        )

    def vectors(
        self, documents: Sequence[Sentences], progress: Callable[[int, int], None] | None = None
    ) -> list[list[np.ndarray]]:
        """Each document's vectors, one array per sentence. Documents neither remembered nor cached are computed
        together: windows of several documents share MiniLM's batches, which is faster than one document at a time.
        `progress(done, total)` counts the computed documents."""
        keys = [tuple(tuple(tokens) for tokens in document) for document in documents]
        found = dict.fromkeys(keys) if self._remembered is None else self._remembered
        missing: dict[DocumentKey, None] = {}  # in order, each document once
        for key in keys:
            if found.get(key) is None and key not in missing:
                cached = self._disk.get(key) if self._disk is not None else None
                if cached is None:
                    missing[key] = None
                else:
                    found[key] = cached
        if missing:
            for key, vectors in zip(missing, self._minilm().encode_documents(list(missing), progress), strict=True):
                found[key] = vectors
                if self._disk is not None:
                    self._disk.put(key, vectors)
        return [found[key] for key in keys]

    @property
    def tuned(self) -> Path | None:
        """The tuned MiniLM layers file this source reads (None: MiniLM as its package ships it)."""
        return self.settings["tuned"]

    def _minilm(self) -> ContextualEncoder:
        if self._encoder is None:
            with torch.random.fork_rng(devices=[]):  # loading it must not move training's random stream
                self._encoder = ContextualEncoder(layers=self.layers, **self.settings)
        return self._encoder


def tuned_path(config: ModelConfig, directory: Path | None = None) -> Path | None:
    """The tuned MiniLM layers file a model of `config` reads (None: MiniLM as its package ships it), checked
    before anything is loaded."""
    if not config.contextual_tuned:
        return None
    path = Path(config.contextual_tuned)
    path = directory / path if directory is not None and not path.is_absolute() else path
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the tuned MiniLM layers of contextual_tuned are missing")
    return path


def contextual_vectors(
    source: ContextualSource | None,
    documents: Sequence[Sentences],
    progress: Callable[[int, int], None] | None = None,
) -> list[list[np.ndarray | None]]:
    """Each document's vectors from `source`, or None per sentence without one (a model that reads none, and never
    loads MiniLM)."""
    if source is None:
        return [[None] * len(document) for document in documents]
    return source.vectors(documents, progress)
