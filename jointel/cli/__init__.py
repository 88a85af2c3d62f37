"""The `jointel` command, and what scripts share with it: default paths and the provenance of reported numbers."""

from jointel.cli.paths import (
    REPO_ROOT,
    default_cache_dir,
    default_contextual_cache,
    default_kb_path,
    default_wikipedia_kb_path,
    resolve_data_dir,
)
from jointel.cli.provenance import git_commit, run_header, write_section

__all__ = [
    "REPO_ROOT",
    "default_cache_dir",
    "default_contextual_cache",
    "default_kb_path",
    "default_wikipedia_kb_path",
    "git_commit",
    "resolve_data_dir",
    "run_header",
    "write_section",
]
