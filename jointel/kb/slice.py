"""A smaller copy of a KB for shipping beside a model: the realistic protocol only.

The PPRforNED lists exist for the 1,393 AIDA documents alone; a user's text is linked with the alias table, so a
shipped KB keeps entities, aliases, alias totals and the links a train document's list has (the realistic protocol's),
and drops `ppr_candidates` (about half the file).
"""

from __future__ import annotations

from pathlib import Path

from jointel.kb.atomic import edited_copy
from jointel.kb.schema import has_table


def slice_realistic(source: Path, target: Path) -> Path:
    """Copy `source` without its PPR lists to `target` (temporary file, then rename); returns `target`."""
    target = Path(target)
    with edited_copy(source, target) as db:
        db.execute("DELETE FROM ppr_candidates")
        if has_table(db, "entity_links"):
            db.execute("DELETE FROM entity_links WHERE train = 0")
            db.execute("DELETE FROM ppr_links")
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('sliced', 'realistic only: no PPR lists')")
        db.commit()
        db.execute("VACUUM")
    return target
