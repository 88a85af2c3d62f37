"""Edit a KB as a copy that replaces it once complete (`jointel.data.files.replaced_atomically`).

Readers open a KB with `immutable=1` (see `jointel.kb.lookup`), so a KB file must never change in place: a server
holding the old file keeps reading its inode, and a killed edit leaves the old file whole. The copy is made under
the target's write lock, so two edits at once are applied one after the other, never one lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import quote

from jointel.data.files import replaced_atomically
from jointel.kb.lookup import KB


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
