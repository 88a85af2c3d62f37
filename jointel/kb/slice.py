"""Smaller copies of a KB: for shipping beside a model (the realistic protocol only), or for a test (given lookups).

The PPRforNED lists exist for the 1,393 AIDA documents alone; a user's text is linked with the alias table, so a
shipped KB keeps entities, aliases, alias totals and the links a train document's list has (the realistic protocol's),
and drops `ppr_candidates` (about half the file).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path

from jointel.data.files import replaced_atomically
from jointel.kb.atomic import edited_copy
from jointel.kb.schema import GAZETTEER_TABLE, SCHEMA, has_table


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


def slice_for_lookups(
    source: Path, target: Path, aliases: Iterable[str], gazetteer_keys: Iterable[str], k: int
) -> Path:
    """A KB with only what lookups of the alias keys `aliases` (top `k`) and the gazetteer keys `gazetteer_keys`
    read from `source`: those rows, their entities (same ids) and the links among them. A test can then run a model
    on a few texts as if on `source`, which may be the 890 MB Wikipedia KB. Written atomically; returns `target`."""
    with replaced_atomically(Path(target)) as temp, closing(sqlite3.connect(temp)) as db:
        for statement in (*SCHEMA, GAZETTEER_TABLE):
            db.execute(statement)
        db.execute("ATTACH DATABASE ? AS source", (str(Path(source).resolve()),))
        db.execute("CREATE TEMP TABLE wanted (alias TEXT PRIMARY KEY)")
        db.executemany("INSERT OR IGNORE INTO wanted VALUES (?)", ((alias,) for alias in aliases))
        db.execute("CREATE TEMP TABLE wanted_gazetteer (alias TEXT PRIMARY KEY)")
        db.executemany("INSERT OR IGNORE INTO wanted_gazetteer VALUES (?)", ((key,) for key in gazetteer_keys))
        for statement in _SLICE_SQL:
            db.execute(statement, {"k": k})
        gazetteer = "source.gazetteer" if _has_gazetteer(db) else _ALIAS_TABLE
        db.execute(f"INSERT INTO gazetteer SELECT * FROM {gazetteer} WHERE alias IN temp.wanted_gazetteer")
        db.commit()
    return Path(target)


_SLICE_SQL = (
    "INSERT INTO meta SELECT * FROM source.meta",
    "INSERT INTO meta (key, value) VALUES ('sliced', 'for given lookups only') "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    "INSERT INTO aliases SELECT * FROM source.aliases WHERE alias IN (SELECT alias FROM wanted) AND rank <= :k",
    # what a gazetteer of the KB's names reads (`TitleGazetteer`): whether a key is a name, of how many entities
    "INSERT OR IGNORE INTO aliases SELECT * FROM source.aliases "
    "WHERE alias IN (SELECT alias FROM wanted_gazetteer) AND rank <= :k",
    "INSERT INTO alias_totals SELECT * FROM source.alias_totals WHERE alias IN (SELECT alias FROM aliases)",
    "INSERT INTO entities SELECT * FROM source.entities WHERE id IN (SELECT entity_id FROM aliases)",
    "INSERT INTO entity_links SELECT * FROM source.entity_links "
    "WHERE a IN (SELECT id FROM entities) AND b IN (SELECT id FROM entities)",
)
# A KB without a gazetteer table serves the whole alias table as one (see KB.alias_table)
_ALIAS_TABLE = """(
    SELECT a.alias, e.type, t.total
    FROM source.aliases AS a JOIN source.entities AS e ON e.id = a.entity_id
    JOIN source.alias_totals AS t ON t.alias = a.alias
    WHERE a.rank = 1)"""


def _has_gazetteer(db: sqlite3.Connection) -> bool:
    found = db.execute("SELECT 1 FROM source.sqlite_master WHERE type = 'table' AND name = 'gazetteer'").fetchone()
    return found is not None
