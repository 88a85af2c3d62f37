"""Replacing a file or directory safely: one writer at a time, a temporary beside the target, then a rename.

A kill at any moment leaves the old file or the new one, never half a file. Writers of one target take its lock
(`.NAME.lock` beside it, flock'd), so two edits never interleave and a second one waits for the first; under the
lock, temporaries that a killed run left behind (`.NAME.*.tmp` and SQLite's `-journal` beside them) are removed,
with a warning, since no live writer can own them.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

_SQLITE_SIDE_FILES = ("-journal", "-wal", "-shm")


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one rename; on any failure the old file (if any) is untouched."""
    with replaced_atomically(path) as temp:
        temp.write_bytes(data)


@contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`, renamed over it when the block succeeds and deleted when it fails.

    The whole block runs under `target`'s lock, so whatever it reads of `target` is not changed by another writer
    before the rename. The new file is readable by others as the umask allows (models and KBs are shared). An OS
    error in writing (a full disk, a read-only file system, a directory in the way) names `target`.
    """
    target = Path(target)
    if _writes_in_place(target):  # /dev/stdout, a FIFO: there is nothing to rename over
        yield target
        return
    with _errors_naming(target), locked(target):
        handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.close(handle)
        temp = Path(name)
        try:
            yield temp
            temp.chmod(0o666 & ~_umask())
            os.replace(temp, target)
        finally:
            _remove_temporary(temp)


@contextmanager
def _errors_naming(target: Path) -> Iterator[None]:
    """Re-raise an OS error about `target`'s own files (its lock, its temporary) or about a write to a file object
    (which has no file name: a full disk) as one about `target`, the name the user gave, not `.NAME.x1y2z3.tmp`."""
    try:
        yield
    except OSError as error:
        if error.errno is None or not _is_about(error, target):
            raise
        raise OSError(error.errno, error.strerror, str(target)) from error  # of the same subclass, by errno


def _is_about(error: OSError, target: Path) -> bool:
    if error.filename is None:
        return True
    name = Path(os.fsdecode(error.filename)).absolute()
    return name.parent == target.absolute().parent and name.name.startswith(f".{target.name}.")


@contextmanager
def replaced_directory(target: Path) -> Iterator[Path]:
    """A temporary directory beside `target`, put in its place when the block succeeds and deleted when it fails.

    Between the two renames of the swap, the old directory waits as `.NAME.old`; the next writer puts it back if a
    kill struck just there.
    """
    target = Path(target)
    with locked(target):
        temp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
        try:
            temp.chmod(0o777 & ~_umask())  # mkdtemp makes it private; a model directory is meant to be shared
            yield temp
            old = _old_directory(target)
            if target.exists():
                os.replace(target, old)
            os.replace(temp, target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(temp, ignore_errors=True)


@contextmanager
def locked(target: Path) -> Iterator[None]:
    """Hold the write lock of `target` (waiting for another writer, with a warning) and clean up stale temporaries."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    with _lock_file(lock_path, target):
        _clean_up_after_a_kill(target)
        yield


def tidy(target: Path) -> None:
    """Remove what an interrupted writer of `target` left behind, without writing it: for a run that resumes and
    may find nothing left to write."""
    with locked(Path(target)):
        pass


@contextmanager
def _lock_file(lock_path: Path, target: Path) -> Iterator[None]:
    """flock `lock_path`, and unlink it before letting go, so that no lock file outlives its writer.

    A waiter may lock a file that the holder has just unlinked; it then sees that the path no longer names what it
    locked, and starts again on the new file.
    """
    warned = False
    while True:
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not warned:
                    logger.warning("waiting for another jointel writing %s to finish", target)
                    warned = True
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            if _same_file(descriptor, lock_path):
                try:
                    yield
                finally:
                    lock_path.unlink(missing_ok=True)
                return
        finally:
            os.close(descriptor)  # closing releases the lock


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        named = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)


def _clean_up_after_a_kill(target: Path) -> None:
    old = _old_directory(target)
    if old.is_dir() and not target.exists():
        logger.warning("restored %s from %s, left behind by an interrupted jointel run", target, old)
        os.replace(old, target)
    for stale in [*_stale_temporaries(target), *([old] if old.exists() else [])]:
        logger.warning("removed %s, left behind by an interrupted jointel run", stale)
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink(missing_ok=True)


def _old_directory(target: Path) -> Path:
    return target.parent / f".{target.name}.old"


def _stale_temporaries(target: Path) -> list[Path]:
    """Temporaries of `target` (mkstemp's `.NAME.xxxxxxxx.tmp`) and their SQLite side files, not another target's."""
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp({'|'.join(_SQLITE_SIDE_FILES)})?")
    return sorted(path for path in target.parent.iterdir() if pattern.fullmatch(path.name))


def _remove_temporary(temp: Path) -> None:
    temp.unlink(missing_ok=True)
    for suffix in _SQLITE_SIDE_FILES:
        Path(f"{temp}{suffix}").unlink(missing_ok=True)


def _writes_in_place(target: Path) -> bool:
    try:
        mode = target.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
