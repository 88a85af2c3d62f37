"""Where data, caches and the KB live: resolved once here, at the entry point, and passed down."""

from __future__ import annotations

import os
from pathlib import Path

from jointel.kb.paths import REPO_ROOT, default_cache_dir, default_kb_path, default_wikipedia_kb_path

__all__ = [
    "REPO_ROOT",
    "default_cache_dir",
    "default_contextual_cache",
    "default_kb_path",
    "default_wikipedia_kb_path",
    "resolve_data_dir",
]


def resolve_data_dir(explicit: Path | None = None) -> Path:
    """`explicit`, else `$JOINTEL_DATA`, else `../shared/data` beside the repository (or the working directory)."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get("JOINTEL_DATA"):
        return Path(os.environ["JOINTEL_DATA"])
    for root in (REPO_ROOT, Path.cwd()):
        candidate = root.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return REPO_ROOT.parent / "shared" / "data"


def default_contextual_cache() -> Path:
    """Where training keeps MiniLM's vectors of the corpus for the next run (models with `contextual_dim`)."""
    return default_cache_dir() / "contextual"
