"""Where commands write, checked before any work: a wrong --out fails in a second, not after an evaluation.

The writes themselves are atomic (`jointel.data.files`), so an output that fails later (a full disk) leaves the old
file as it was; these checks only make the common mistakes fail early, with a message that names the option.
"""

from __future__ import annotations

import os
from pathlib import Path


def check_output_file(path: Path, option: str, example: str) -> None:
    """Refuse an output file that is a directory (`example`: a file name to suggest in it) or cannot be written."""
    if path.is_dir():
        raise IsADirectoryError(f"{option} {path} is a directory: give a file name, e.g. {path / example}")
    _check_writable(path.parent, f"{option} {path}")


def check_output_directory(path: Path, option: str) -> None:
    """Refuse an output directory that is a file or cannot be written."""
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{option} {path} is a file: give a directory (it is created if missing)")
    _check_writable(path, f"{option} {path}")


def _check_writable(directory: Path, what: str) -> None:
    """`directory`, or the nearest of its parents that exists (the rest is created), takes new files."""
    existing = next(path for path in (directory, *directory.parents) if path.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        read_only = os.statvfs(existing).f_flag & os.ST_RDONLY
        reason = "a read-only file system" if read_only else "no permission to write there"
        raise PermissionError(f"{what}: cannot write in {existing} ({reason})")
