"""Extend a built KB with the user's own entities, without retraining: add, remove and export them.

The records and their JSONL format are in `jointel.kb.records`.

The linker scores a candidate from features every entity has: prior, popularity, rank, title words, string match
and coarse type (`jointel.model.linker`); an entity never seen in training shares the UNK embedding, as most test
entities do. So an added entity is linkable at once. The NER gazetteer reads the alias table when an annotator
opens the KB, so the new aliases also help find the mentions.

Priors, in the units of `jointel.kb.prior` (one AIDA train gold link scores 1): each alias key of an added entity
scores the record's `weight`, by default 1.0, as if the alias had been seen linked to it once. That beats a mere
title match of another entity (at most 0.5) but not an entity that many train links name (Paris: 46 links); raise
the weight to make an entity win such an alias. The score goes into the alias total, and every prior of the alias
is recomputed as score / total, ranked by prior, popularity, title as `build_kb` ranks them: existing entities keep
their order, and an alias no entity had gets prior 1.0. Removing an entity takes its scores out the same way.
The realistic prior of the PPRforNED lists (`ppr_candidates`) is refreshed and re-ranked to match.

Popularity matters more than the prior for a name the model never saw: with a single candidate the prior is 1.0
anyway, and the linker weighs the candidate against NIL from the context and the popularity. A record without one
gets DEFAULT_POPULARITY (a typical linked entity). Even so the model links such names less readily than known
ones: a full name and then a short alias in one text ("Zorblax Dynamics … Zorblax") link well, a lone unknown
alias in a short sentence may stay NIL.

Titles follow the KB's Wikipedia spelling: "Zorblax Dynamics" is stored, linked and removed as "Zorblax_Dynamics".
Adding a title the KB already has merges: its aliases get the record's weight again, and the type, popularity and
description given replace the stored ones. Besides the title, no alias is derived (no stems or surnames, unlike
`build_kb`): the record lists every other name.

Descriptions go into a `descriptions` table made on first use, outside the schema (its version stays, so every
jointel still reads the KB), only so that export gives them back: no model reads them today.

Every edit writes a new file, a copy of the source renamed over the target when complete (`jointel.kb.atomic`).
"""

from __future__ import annotations

import itertools
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from urllib.parse import quote

from jointel.kb.atomic import edited_copy
from jointel.kb.lookup import KB
from jointel.kb.normalize import normalize
from jointel.kb.records import KB_TYPE_OF, RECORD_TYPE_OF, EntityRecord, entity_title
from jointel.kb.schema import has_table, rank_key

# log1p(in-links) of a new entity whose record gives none: the median popularity of the entities that AIDA train
# links to (5.85 in the bundled KB), i.e. as well-known as a typical linked entity. The KB's "unknown" value, 0,
# made the bundled model choose NIL for a new name ("Zorblax") in each of 4 test sentences: it learnt that obscure
# entities rarely win.
DEFAULT_POPULARITY = 6.0

DESCRIPTIONS_TABLE = """CREATE TABLE IF NOT EXISTS descriptions (
    entity_id INTEGER PRIMARY KEY REFERENCES entities(id),
    description TEXT NOT NULL     -- from `jointel kb add`, kept for export: no model reads it
)"""
_ALIAS_ROWS_SQL = "SELECT entity_id, count, prior FROM aliases WHERE alias = ?"
_INSERT_ALIAS_SQL = "INSERT INTO aliases (alias, entity_id, count, prior, rank) VALUES (?, ?, ?, ?, ?)"
_TOTAL_SQL = "SELECT total FROM alias_totals WHERE alias = ?"
_FACTS_SQL = "SELECT popularity, title FROM entities WHERE id = ?"
_NAMED_BY_SQL = """
    SELECT e.title FROM aliases AS a JOIN entities AS e ON e.id = a.entity_id
    WHERE a.alias = ? ORDER BY a.rank LIMIT 3"""
_PPR_GROUPS_SQL = """
    SELECT p.doc, p.alias, p.entity_id, COALESCE(a.prior, 0.0)
    FROM ppr_candidates AS p LEFT JOIN aliases AS a ON a.alias = p.alias AND a.entity_id = p.entity_id
    WHERE p.alias IN (SELECT alias FROM temp.edited_aliases)"""
_MARKED_ALIASES_SQL = "SELECT DISTINCT alias FROM aliases WHERE entity_id IN (SELECT id FROM temp.edited_entities)"
_MARKED_PPR_ALIASES_SQL = (
    "SELECT DISTINCT alias FROM ppr_candidates WHERE entity_id IN (SELECT id FROM temp.edited_entities)"
)
_DELETE_MARKED_SQL = (
    "DELETE FROM aliases WHERE entity_id IN (SELECT id FROM temp.edited_entities)",
    "DELETE FROM ppr_candidates WHERE entity_id IN (SELECT id FROM temp.edited_entities)",
    "DELETE FROM entities WHERE id IN (SELECT id FROM temp.edited_entities)",
)
_DELETE_MARKED_DESCRIPTIONS_SQL = "DELETE FROM descriptions WHERE entity_id IN (SELECT id FROM temp.edited_entities)"
_DELETE_MARKED_LINKS_SQL = tuple(
    f"DELETE FROM {table} WHERE a IN (SELECT id FROM temp.edited_entities)"
    " OR b IN (SELECT id FROM temp.edited_entities)"
    for table in ("entity_links", "ppr_links")
)
_DESCRIPTIONS_SQL = "SELECT entity_id, description FROM descriptions"
_ENTITIES_SQL = "SELECT id, title, type, popularity FROM entities ORDER BY id"
_ENTITY_SQL = "SELECT id, title, type, popularity FROM entities WHERE id = ?"
# No index leads from an entity to its aliases: read them all in one sorted pass, or scan once per asked entity.
_ALL_ALIASES_SQL = "SELECT entity_id, alias FROM aliases ORDER BY entity_id, alias"
_ENTITY_ALIASES_SQL = "SELECT entity_id, alias FROM aliases WHERE entity_id = ? ORDER BY alias"
_COUNT_SQL = {
    "entities": "SELECT COUNT(*) FROM entities",
    "aliases": "SELECT COUNT(*) FROM alias_totals",
    "alias_entries": "SELECT COUNT(*) FROM aliases",
    "ppr": "SELECT COUNT(*) FROM ppr_candidates",
}


@dataclass(frozen=True)
class KBEdit:
    """What `add_entities` or `remove_entities` changed, and where it wrote the KB."""

    path: Path
    added: int = 0  # new entities
    merged: int = 0  # records for titles the KB already had
    removed: int = 0
    aliases: int = 0  # alias keys whose priors and ranks were recomputed
    new_aliases: int = 0  # keys no entity had before
    dropped_aliases: int = 0  # keys left without any entity, hence deleted


class UnknownEntityError(LookupError):
    """A title the KB does not have."""


def add_entities(source: Path, records: Iterable[EntityRecord], target: Path | None = None) -> KBEdit:
    """Add `records` to KB `source` and write the result to `target` (default: `source`) atomically.

    New titles become entities; a known title merges (see the module docstring). Each alias key gains the record's
    weight as score; the priors and ranks of every touched alias are recomputed.
    """
    target = Path(source if target is None else target)
    with edited_copy(source, target) as db:
        extra: dict[str, dict[int, float]] = {}  # alias key → entity id → score to add
        added = merged = 0
        repopularised = []  # merged entities with a new popularity: their aliases are re-ranked
        for record in records:
            entity_id, is_new = _upsert_entity(db, record)
            added, merged = added + is_new, merged + (not is_new)
            if not is_new and record.popularity is not None:
                repopularised.append(entity_id)
            for key in record.alias_keys():
                by_entity = extra.setdefault(key, {})
                by_entity[entity_id] = by_entity.get(entity_id, 0.0) + record.weight
        aliases, ppr_aliases = _aliases_of(db, repopularised)
        for alias in aliases:
            extra.setdefault(alias, {})
        new_aliases = sum(_alias_total(db, alias) == 0.0 for alias in extra)
        for alias, scores in extra.items():
            _rescore(db, alias, scores)
        _rerank_ppr(db, set(extra) | ppr_aliases)
        edit = KBEdit(target, added=added, merged=merged, aliases=len(extra), new_aliases=new_aliases)
        _log_edit(db, "add", edit)
    return edit


def remove_entities(source: Path, titles: Iterable[str], target: Path | None = None) -> KBEdit:
    """Remove the entities titled `titles` (with their aliases, PPR rows and descriptions) from KB `source`.

    The result goes to `target` (default: `source`) atomically; an unknown title raises UnknownEntityError and
    writes nothing. Aliases the removed entities shared are renormalised; aliases only they had are deleted.
    """
    target = Path(source if target is None else target)
    with edited_copy(source, target) as db:
        ids = list(dict.fromkeys(_entity_id(db, title, Path(source)) for title in titles))
        aliases, ppr_aliases = _aliases_of(db, ids)  # also marks `ids` in temp.edited_entities
        for sql in _DELETE_MARKED_SQL:
            db.execute(sql)
        if has_table(db, "descriptions"):
            db.execute(_DELETE_MARKED_DESCRIPTIONS_SQL)
        if has_table(db, "entity_links"):
            for sql in _DELETE_MARKED_LINKS_SQL:
                db.execute(sql)
        dropped = sum(not _rescore(db, alias, {}) for alias in aliases)
        _rerank_ppr(db, aliases | ppr_aliases)
        edit = KBEdit(target, removed=len(ids), aliases=len(aliases), dropped_aliases=dropped)
        _log_edit(db, "remove", edit)
    return edit


def export_entities(path: Path, titles: Iterable[str] | None = None) -> Iterator[EntityRecord]:
    """The entities of KB `path` as the records `add_entities` reads, streamed in id order (built, then added).

    With `titles`, only those, in that order; an unknown one raises UnknownEntityError before any record. Aliases
    are the stored keys ("zorblax corp"), sorted; the weight is left at its default, so entities, aliases, types,
    popularity and descriptions round-trip through export → add, but priors are recomputed from the weights.
    """
    KB(path).close()  # clear errors: missing file, not a KB, wrong schema version
    uri = f"file:{quote(str(Path(path).resolve()))}?mode=ro&immutable=1"  # KB files never change in place
    with closing(sqlite3.connect(uri, uri=True)) as db:
        descriptions = dict(db.execute(_DESCRIPTIONS_SQL)) if has_table(db, "descriptions") else {}
        if titles is None:
            rows: Iterable[tuple[int, str, str | None, float]] = db.execute(_ENTITIES_SQL)
            aliases = _aliases_by_entity(db.execute(_ALL_ALIASES_SQL))
        else:
            ids = list(dict.fromkeys(_entity_id(db, title, Path(path)) for title in titles))
            rows = [db.execute(_ENTITY_SQL, (i,)).fetchone() for i in ids]
            aliases = _aliases_by_entity(
                itertools.chain.from_iterable(db.execute(_ENTITY_ALIASES_SQL, (i,)) for i in ids)
            )
        for entity_id, title, kind, popularity in rows:
            yield EntityRecord(
                title, aliases.get(entity_id, ()), RECORD_TYPE_OF.get(kind), popularity, descriptions.get(entity_id)
            )


def _aliases_by_entity(rows: Iterable[tuple[int, str]]) -> dict[int, tuple[str, ...]]:
    """Entity id → its alias keys, from (entity id, alias) rows sorted by entity id."""
    return {
        entity_id: tuple(alias for _, alias in group) for entity_id, group in itertools.groupby(rows, itemgetter(0))
    }


def _upsert_entity(db: sqlite3.Connection, record: EntityRecord) -> tuple[int, bool]:
    """(entity id, whether it is new): insert the record's entity, or update the facts it gives of a known one."""
    title, kind = entity_title(record.title), KB_TYPE_OF[record.type] if record.type is not None else None
    row = db.execute("SELECT id FROM entities WHERE title = ?", (title,)).fetchone()
    if row is None:
        cursor = db.execute(
            "INSERT INTO entities (title, type, popularity) VALUES (?, ?, ?)",
            (title, kind, DEFAULT_POPULARITY if record.popularity is None else record.popularity),
        )
        entity_id, is_new = cursor.lastrowid, True
    else:
        entity_id, is_new = row[0], False
        if record.type is not None:
            db.execute("UPDATE entities SET type = ? WHERE id = ?", (kind, entity_id))
        if record.popularity is not None:
            db.execute("UPDATE entities SET popularity = ? WHERE id = ?", (record.popularity, entity_id))
    if record.description is not None:
        db.execute(DESCRIPTIONS_TABLE)
        db.execute(
            "INSERT OR REPLACE INTO descriptions (entity_id, description) VALUES (?, ?)",
            (entity_id, record.description),
        )
    return entity_id, is_new


def _rescore(db: sqlite3.Connection, alias: str, extra: Mapping[int, float]) -> bool:
    """Add `extra` scores to the alias and rewrite its rows, priors, ranks and total; False if no entity is left.

    Scores are recovered as prior · total (the stored total, which still counts removed rows).
    """
    total = _alias_total(db, alias)
    rows = {entity_id: [count, prior * total] for entity_id, count, prior in db.execute(_ALIAS_ROWS_SQL, (alias,))}
    for entity_id, score in extra.items():
        rows.setdefault(entity_id, [0.0, 0.0])[1] += score  # count: AIDA train links, none for a user's alias
    db.execute("DELETE FROM aliases WHERE alias = ?", (alias,))
    if not rows:
        db.execute("DELETE FROM alias_totals WHERE alias = ?", (alias,))
        return False
    total = math.fsum(score for _, score in rows.values())
    prior_of = {entity_id: score / total for entity_id, (_, score) in rows.items()}
    db.executemany(
        _INSERT_ALIAS_SQL,
        ((alias, e, rows[e][0], prior_of[e], rank) for rank, e in enumerate(_ranked(db, prior_of), start=1)),
    )
    db.execute("INSERT OR REPLACE INTO alias_totals (alias, total) VALUES (?, ?)", (alias, total))
    return True


def _rerank_ppr(db: sqlite3.Connection, aliases: set[str]) -> None:
    """Refresh the realistic prior and the rank of every PPR list stored under one of `aliases`."""
    if not aliases or db.execute("SELECT 1 FROM ppr_candidates LIMIT 1").fetchone() is None:
        return
    db.execute("CREATE TEMP TABLE IF NOT EXISTS edited_aliases (alias TEXT PRIMARY KEY)")
    db.execute("DELETE FROM temp.edited_aliases")
    db.executemany("INSERT INTO temp.edited_aliases (alias) VALUES (?)", ((alias,) for alias in aliases))
    lists: dict[tuple[int, str], dict[int, float]] = {}
    for doc, alias, entity_id, prior in db.execute(_PPR_GROUPS_SQL).fetchall():
        lists.setdefault((doc, alias), {})[entity_id] = prior
    for (doc, alias), prior_of in lists.items():
        db.execute("DELETE FROM ppr_candidates WHERE doc = ? AND alias = ?", (doc, alias))
        db.executemany(
            "INSERT INTO ppr_candidates (doc, alias, entity_id, prior, rank) VALUES (?, ?, ?, ?, ?)",
            ((doc, alias, e, prior_of[e], rank) for rank, e in enumerate(_ranked(db, prior_of), start=1)),
        )


def _ranked(db: sqlite3.Connection, prior_of: Mapping[int, float]) -> list[int]:
    """Entity ids in the order `build_kb` stores (`schema.rank_key`)."""
    facts = {entity_id: db.execute(_FACTS_SQL, (entity_id,)).fetchone() for entity_id in prior_of}
    return sorted(prior_of, key=lambda e: rank_key(prior_of[e], *facts[e]))


def _aliases_of(db: sqlite3.Connection, ids: Iterable[int]) -> tuple[set[str], set[str]]:
    """The alias keys of entities `ids`, and the keys of the PPR lists holding them; marks them as edited."""
    db.execute("CREATE TEMP TABLE IF NOT EXISTS edited_entities (id INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.edited_entities")
    db.executemany("INSERT OR IGNORE INTO temp.edited_entities (id) VALUES (?)", ((i,) for i in ids))
    aliases = {alias for (alias,) in db.execute(_MARKED_ALIASES_SQL)}
    ppr = {alias for (alias,) in db.execute(_MARKED_PPR_ALIASES_SQL)}
    return aliases, ppr


def _entity_id(db: sqlite3.Connection, title: str, path: Path) -> int:
    row = db.execute("SELECT id FROM entities WHERE title = ?", (entity_title(title),)).fetchone()
    if row is not None:
        return row[0]
    named = [found for (found,) in db.execute(_NAMED_BY_SQL, (normalize(title),))]
    hint = f" (the alias {title!r} names {', '.join(named)})" if named else ""
    raise UnknownEntityError(f"{path}: no entity titled {entity_title(title)!r}{hint}")


def _alias_total(db: sqlite3.Connection, alias: str) -> float:
    row = db.execute(_TOTAL_SQL, (alias,)).fetchone()
    return row[0] if row else 0.0


def _log_edit(db: sqlite3.Connection, command: str, edit: KBEdit) -> None:
    """Append the edit to meta `edits` and refresh meta `counts`, so that the KB says how it differs from its build."""
    found = db.execute("SELECT value FROM meta WHERE key = 'edits'").fetchone()
    edits = json.loads(found[0]) if found else []
    fields = {key: value for key, value in asdict(edit).items() if key != "path" and value}
    edits.append({"command": command, "at": datetime.now(UTC).isoformat(timespec="seconds"), **fields})
    counts = {name: db.execute(sql).fetchone()[0] for name, sql in _COUNT_SQL.items()}
    db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        [("edits", json.dumps(edits)), ("counts", json.dumps(counts))],
    )
