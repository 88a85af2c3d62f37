"""Replace a KB file only once its new version is complete: write a temporary file beside it, then rename.

Readers open a KB with `immutable=1` (see `jointel.kb.lookup`), so a KB file must never change in place: a server
holding the old file keeps reading its inode, and a killed edit leaves the old file whole and no temporary behind.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from jointel.kb.lookup import KB


@contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside `target`: renamed over `target` when the block succeeds, deleted when it fails."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        temp.chmod(0o644)  # mkstemp makes it private; a KB is meant to be read by servers and other users
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextmanager
def edited_copy(source: Path, target: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a copy of KB `source`; the copy is committed and renamed over `target` if the block succeeds.

    `target` may be `source`: the source is only read, and replaced by rename at the end.
    """
    KB(source).close()  # the same clear errors as opening it: missing file, not a KB, wrong schema version
    with replaced_atomically(target) as temp:
        uri = f"file:{quote(str(Path(source).resolve()))}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as original, closing(sqlite3.connect(temp)) as copy:
            original.backup(copy)
        with closing(sqlite3.connect(temp)) as db:
            yield db
            db.commit()
