"""A smaller copy of a KB for shipping beside a model: the realistic protocol only.

The PPRforNED lists exist for the 1,393 AIDA documents alone; a user's text is linked with the alias table, so a
shipped KB keeps entities, aliases and alias totals and drops `ppr_candidates` (about half the file).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from jointel.kb.lookup import KB


def slice_realistic(source: Path, target: Path) -> Path:
    """Copy `source` without its PPR lists to `target` (temporary file, then rename); returns `target`."""
    KB(source).close()  # the same clear errors as opening it: missing file, not a KB, wrong schema version
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(temp) as dst:
            src.backup(dst)
        db = sqlite3.connect(temp)
        try:
            db.execute("DELETE FROM ppr_candidates")
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('sliced', 'realistic only: no PPR lists')")
            db.commit()
            db.execute("VACUUM")
        finally:
            db.close()
        Path(temp).chmod(0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
