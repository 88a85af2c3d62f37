"""Read-only access to the knowledge base: candidate entities for an alias, under either protocol.

Realistic protocol (`KB.candidates`): the alias table built from train-only evidence, ranked by prior. PPR protocol
(`KB.ppr_candidates`): the PPRforNED list of the mention's document, ranked by the same realistic prior and then
popularity, never by file order (PPR injected the gold candidate first).
"""

from __future__ import annotations

import functools
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Generic, TypeVar
from urllib.parse import quote

import numpy as np

from jointel.data import DataFormatError
from jointel.kb.normalize import alias_variants, normalize
from jointel.kb.paths import default_wikipedia_kb_path
from jointel.kb.schema import SCHEMA_VERSION, has_table

logger = logging.getLogger(__name__)
V = TypeVar("V")

# Rows come out as Candidate fields: (title, prior, popularity, type).
_CANDIDATES_SQL = """
    SELECT e.title, a.prior, e.popularity, e.type FROM aliases AS a JOIN entities AS e ON e.id = a.entity_id
    WHERE a.alias = ? AND a.rank <= ? ORDER BY a.rank"""
_PPR_SQL = """
    SELECT e.title, p.prior, e.popularity, e.type FROM ppr_candidates AS p JOIN entities AS e ON e.id = p.entity_id
    WHERE p.doc = ? AND p.alias = ? AND p.rank <= ? ORDER BY p.rank"""
_TOTAL_SQL = "SELECT total FROM alias_totals WHERE alias = ?"
_GOLD_COUNTS_SQL = """
    SELECT e.title, a.count FROM aliases AS a JOIN entities AS e ON e.id = a.entity_id
    WHERE a.alias = ? AND a.count > 0"""
_ALIAS_TABLE_SQL = """
    SELECT a.alias, e.type, t.total
    FROM aliases AS a JOIN entities AS e ON e.id = a.entity_id JOIN alias_totals AS t ON t.alias = a.alias
    WHERE a.rank = 1"""
_GAZETTEER_SQL = "SELECT alias, type, total FROM gazetteer"
# An alias's number of entities is its last rank; its top entity's type is read for that one row only
_ALIAS_ENTITIES_SQL = """
    SELECT a.alias, max(a.rank), (
        SELECT e.type FROM aliases AS top JOIN entities AS e ON e.id = top.entity_id
        WHERE top.alias = a.alias AND top.rank = 1)
    FROM aliases AS a WHERE a.alias IN (SELECT value FROM json_each(?)) GROUP BY a.alias"""
# Ids and titles come as one JSON array: a long text's candidates outnumber SQLite's limit on parameters.
_IDS = "(SELECT value FROM json_each(:ids))"
_IDS_OF_SQL = "SELECT title, id FROM entities WHERE title IN (SELECT value FROM json_each(?))"
_NO_PAIRS = np.zeros((0, 2), dtype=np.int64)
_TRAIN_LINKS_SQL = "SELECT a, b FROM entity_links WHERE train > 0"
# Leaving a train document out: a link counts only if another train document's list has it too.
_LINKS_LEFT_OUT_SQL = f"""
    SELECT e.a, e.b FROM entity_links AS e LEFT JOIN ppr_links AS p ON p.doc = :doc AND p.a = e.a AND p.b = e.b
    WHERE e.a IN {_IDS} AND e.b IN {_IDS} AND e.train - (p.doc IS NOT NULL) > 0"""
_PPR_LINKS_SQL = f"SELECT a, b FROM ppr_links WHERE doc = :doc AND a IN {_IDS} AND b IN {_IDS}"
# An entity the KB knows by its name alone: no page id, in-links or Freebase score (a Wikipedia title AIDA never
# linked, or one a user added).
_NAME_ONLY = "page_id IS NULL AND in_count IS NULL AND freebase IS NULL"
_TYPED_NAME_ONLY_SQL = f"SELECT title FROM entities WHERE type = ? AND {_NAME_ONLY} ORDER BY title"
_NAME_ONLY_SQL = f"SELECT title FROM entities WHERE title IN (SELECT value FROM json_each(?)) AND {_NAME_ONLY}"
_NAME_ONLY_POPULARITY_SQL = (
    f"SELECT popularity FROM entities WHERE {_NAME_ONLY} GROUP BY popularity ORDER BY COUNT(*) DESC LIMIT 1"
)
_ENTITY_SQL = "SELECT title, page_id, type, popularity, in_count, freebase FROM entities WHERE title = ?"
_ALL = 2**62  # rank bound meaning "every candidate"
_COUNT_SQL = {
    "entities": "SELECT COUNT(*) FROM entities",
    "aliases": "SELECT COUNT(DISTINCT alias) FROM aliases",
    "alias_entries": "SELECT COUNT(*) FROM aliases",
    "ppr_entries": "SELECT COUNT(*) FROM ppr_candidates",
}
_LINK_COUNT_SQL = "SELECT COUNT(*) FROM entity_links"


@dataclass(frozen=True, slots=True)
class Candidate:
    entity: str  # Wikipedia title
    prior: float  # realistic p(entity | alias); under the PPR protocol 0 when the alias never links to it
    popularity: float  # log1p(Wikipedia in-links)
    type: str | None  # GPE | ORG | PER from PPR, None if unknown


@dataclass(frozen=True)
class Entity:
    title: str
    page_id: int | None
    type: str | None
    popularity: float
    in_count: int | None
    freebase: float | None


class KBFormatError(DataFormatError):
    """The file exists but is not a KB this version can read; the fix is always to rebuild it.

    A DataFormatError, so that the CLI reports it as a user error; a database has no line, hence the message
    without one.
    """

    def __init__(self, path: Path, problem: str):
        ValueError.__init__(self, f"{path}: {problem}; rebuild it with `jointel kb build`")
        self.path, self.line, self.problem = Path(path), 0, problem


class KB:
    """A built knowledge base, opened read-only; use as a context manager or call `close()`.

    A lookup is one range scan of an index that stores candidates in rank order, joined with the entity facts a
    Candidate carries (title, popularity, type); nothing per entity is read at open, so that a KB of all of
    Wikipedia (4.5 M entities) opens as fast as AIDA's. Lookups are memoised per instance (an `lru_cache` wrapped
    around bound methods, so two KBs never share entries). The connection is opened with `check_same_thread=False`:
    it is read-only and SQLite serialises access, so a server may share one KB between worker threads.
    """

    def __init__(self, path: Path, cache_size: int = 1 << 16):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: no knowledge base here; build it with `jointel kb build`")
        # immutable=1: no file locking and change check per query (~3 µs of a ~20 µs cold lookup). Safe because a
        # rebuild never writes in place: build_kb renames a new file over the path, and this connection keeps
        # reading the old inode.
        uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self.meta = self._read_meta()
        self.has_links = has_table(self._db, "entity_links")
        self._cached_candidates = functools.lru_cache(maxsize=cache_size)(self._candidates)
        self._cached_ppr_candidates = functools.lru_cache(maxsize=cache_size)(self._ppr_candidates)
        self._id_memo: _Memo[int] = _Memo(cache_size)  # title → entity id, for `_ids_of`
        self._names_memo: _Memo[tuple[int, str | None]] = _Memo(cache_size)  # for `alias_entities` (0: unknown)

    def _read_meta(self) -> dict[str, str]:
        try:
            meta = dict(self._db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise KBFormatError(self.path, f"not a jointel knowledge base ({error})") from None
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            self._db.close()
            found = meta.get("schema_version", "none")
            raise KBFormatError(self.path, f"schema version {found}, this jointel reads version {SCHEMA_VERSION}")
        return meta

    def candidates(self, alias: str, k: int | None = 30) -> list[Candidate]:
        """Top-k candidates for a surface form, highest prior first; [] if unknown. `k=None` returns all.

        The exact key is tried first; only when it is unknown are the `alias_variants` tried, in order.
        """
        return list(self._cached_candidates(alias, k))

    def candidates_many(self, aliases: Iterable[str], k: int | None = 30) -> list[list[Candidate]]:
        """`candidates()` for each alias of a batch, in order."""
        return [list(self._cached_candidates(alias, k)) for alias in aliases]

    def ppr_candidates(self, doc: int, alias: str, k: int | None = 30) -> list[Candidate]:
        """The PPRforNED list of document `doc` for this surface, ranked by realistic prior then popularity.

        Falls back to the alias variants within the document, then to the realistic `candidates()` when the
        document has no PPR list for the surface (PPR dropped the mention, mostly NIL ones).
        """
        found = self._cached_ppr_candidates(doc, alias, k)
        return list(found) if found else self.candidates(alias, k)

    def alias_total(self, alias: str) -> float:
        """Σ score of the exact normalised alias (0 if unknown): `prior · total` is its evidence for an entity."""
        row = self._db.execute(_TOTAL_SQL, (normalize(alias),)).fetchone()
        return row[0] if row else 0.0

    def alias_gold_counts(self, alias: str) -> dict[str, float]:
        """Entity → AIDA train gold links of the exact normalised alias to it: the part of its prior that AIDA's
        documents gave, which `HeldOut` can take out."""
        return dict(self._db.execute(_GOLD_COUNTS_SQL, (normalize(alias),)))

    def alias_table(self) -> dict[str, tuple[str | None, float]]:
        """Every alias key → (coarse type of its top entity, Σ score): the gazetteer the NER features read.

        A KB with Wikipedia's titles keeps the AIDA KB's aliases for it (table `gazetteer`, see `jointel.kb.schema`).
        """
        sql = _GAZETTEER_SQL if has_table(self._db, "gazetteer") else _ALIAS_TABLE_SQL
        return {alias: (kind, total) for alias, kind, total in self._db.execute(sql)}

    def alias_entities(self, keys: Iterable[str]) -> dict[str, tuple[int, str | None]]:
        """Each of the alias keys `keys` that the KB knows → (its number of entities, the type of its top one). The
        number is its last rank (ranks count 1, 2, …, so a slice that keeps the top k rows of an alias reports
        min(n, k)). Memoised, the keys it does not know too: every document's capitalised words are much the same
        ("The", "He", "Reuters")."""

        def read(missing: list[str]) -> dict[str, tuple[int, str | None]]:
            rows = self._db.execute(_ALIAS_ENTITIES_SQL, (json.dumps(missing),))
            return dict.fromkeys(missing, (0, None)) | {key: (n, kind) for key, n, kind in rows}

        return {key: known for key, known in self._names_memo.get_many(keys, read).items() if known[0]}

    def link_pairs(self, titles: Sequence[str], leave_out: int | None = None) -> np.ndarray:
        """(E, 2) positions in `titles` (distinct) of the pairs that share a Wikipedia link, both ways, as train
        documents' PPR lists have them: the realistic protocol's view, which no testa/testb list shaped.

        `leave_out` (a train document's number) ignores links only that document's list has, so that training sees
        the links as unseen text will (the PPR lists of train documents hold their own gold entities).
        """
        if leave_out is None:
            id_of = self._ids_of(titles)
            return self._train_links.pairs(np.array([id_of.get(title, -1) for title in titles], dtype=np.int64))
        return self._linked(_LINKS_LEFT_OUT_SQL, titles, doc=leave_out)

    def links_among(self, titles: Iterable[str], leave_out: int | None = None) -> dict[str, set[str]]:
        """Each of `titles` → those of `titles` it shares a Wikipedia link with (`link_pairs`, as sets)."""
        distinct = list(dict.fromkeys(titles))
        return _as_sets(distinct, self.link_pairs(distinct, leave_out))

    @functools.cached_property
    def _train_links(self) -> _LinkGraph:
        """The links of train documents' lists, read once: annotation asks for them with every document."""
        return _LinkGraph.read(self._db if self.has_links else None)

    def ppr_link_pairs(self, doc: int, titles: Sequence[str]) -> np.ndarray:
        """`link_pairs` as document `doc`'s own PPRforNED list has them: the PPR protocol's view."""
        return self._linked(_PPR_LINKS_SQL, titles, doc=doc)

    def ppr_links_among(self, doc: int, titles: Iterable[str]) -> dict[str, set[str]]:
        """`links_among` as document `doc`'s own PPRforNED list has them."""
        distinct = list(dict.fromkeys(titles))
        return _as_sets(distinct, self.ppr_link_pairs(doc, distinct))

    def _linked(self, sql: str, titles: Sequence[str], doc: int | None = None) -> np.ndarray:
        """The pairs `sql` finds among the ids of `titles`, as positions in `titles`, both ways; unknown titles have
        none, and a KB built without links answers none (see `has_links`)."""
        id_of = self._ids_of(titles)
        if not self.has_links or len(id_of) < 2:
            return _NO_PAIRS
        position = {id_of[title]: index for index, title in enumerate(titles) if title in id_of}
        rows = self._db.execute(sql, {"ids": json.dumps(sorted(position)), "doc": doc}).fetchall()
        pairs = np.array([(position[a], position[b]) for a, b in rows], dtype=np.int64).reshape(-1, 2)
        return np.unique(np.concatenate([pairs, pairs[:, ::-1]]), axis=0)

    def _ids_of(self, titles: Iterable[str]) -> dict[str, int]:
        """The entity id of each known title among `titles`; every document asks for the same popular entities, so
        ids once read are memoised."""

        def read(missing: list[str]) -> dict[str, int]:
            return dict(self._db.execute(_IDS_OF_SQL, (json.dumps(missing),)).fetchall())

        found = self._id_memo.get_many(titles, read)
        return {title: entity_id for title, entity_id in found.items() if entity_id is not None}

    def _candidates(self, alias: str, k: int | None) -> tuple[Candidate, ...]:
        return self._first_known(_CANDIDATES_SQL, (), alias, k)

    def _ppr_candidates(self, doc: int, alias: str, k: int | None) -> tuple[Candidate, ...]:
        return self._first_known(_PPR_SQL, (doc,), alias, k)

    def _first_known(self, sql: str, scope: tuple[int, ...], alias: str, k: int | None) -> tuple[Candidate, ...]:
        """Candidates of the exact key, else of the first alias variant that has any (computed only then)."""
        limit = _ALL if k is None else k
        rows = self._db.execute(sql, (*scope, normalize(alias), limit)).fetchall()
        if not rows:
            for key in alias_variants(alias):
                rows = self._db.execute(sql, (*scope, key, limit)).fetchall()
                if rows:
                    break
        return tuple(Candidate(*row) for row in rows)

    def name_only_titles(self, kind: str) -> list[str]:
        """The titles of the entities of type `kind` (GPE, ORG, PER) that the KB knows by name alone (`name_only`:
        Wikipedia's titles, which no AIDA document or PPRforNED list names), in title order."""
        return [title for (title,) in self._db.execute(_TYPED_NAME_ONLY_SQL, (kind,))]

    def name_only(self, titles: Iterable[str]) -> set[str]:
        """Those of `titles` that the KB knows by their name alone: no page id, in-links or Freebase score."""
        return {title for (title,) in self._db.execute(_NAME_ONLY_SQL, (json.dumps(sorted(set(titles))),))}

    def name_only_popularity(self) -> float:
        """The popularity most name-only entities have (the estimate's floor, see `jointel.kb.wikipedia_merge`);
        0.0, the value of an unknown popularity, when the KB has none."""
        row = self._db.execute(_NAME_ONLY_POPULARITY_SQL).fetchone()
        return row[0] if row else 0.0

    def entity(self, title: str) -> Entity | None:
        """The stored facts about an entity, or None if the KB does not know the title."""
        row = self._db.execute(_ENTITY_SQL, (title,)).fetchone()
        return None if row is None else Entity(*row)

    def counts(self) -> dict[str, int]:
        """Entities, distinct aliases, alias entries, PPR rows and entity links."""
        counts = {name: self._db.execute(sql).fetchone()[0] for name, sql in _COUNT_SQL.items()}
        counts["links"] = self._db.execute(_LINK_COUNT_SQL).fetchone()[0] if self.has_links else 0
        return counts

    def __len__(self) -> int:
        return self._db.execute(_COUNT_SQL["entities"]).fetchone()[0]

    def close(self) -> None:
        self._cached_candidates.cache_clear()
        self._cached_ppr_candidates.cache_clear()
        self._id_memo.clear()
        self._names_memo.clear()
        self._db.close()

    def __enter__(self) -> KB:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class _Memo(Generic[V]):
    """Answers of a KB query by key, kept until they number `size`, then forgotten all at once. Reads and writes
    are single dict operations, so threads may share it."""

    def __init__(self, size: int):
        self._answers: dict[str, V] = {}
        self._size = size

    def get_many(self, keys: Iterable[str], read: Callable[[list[str]], dict[str, V]]) -> dict[str, V | None]:
        """Each of `keys` → its answer, `read` asked once for those not kept (sorted); None where it has none."""
        found = {key: self._answers.get(key) for key in set(keys)}
        missing = sorted(key for key, answer in found.items() if answer is None)
        if missing:
            answers = read(missing)
            if len(self._answers) + len(answers) > self._size:
                self._answers.clear()
            self._answers.update(answers)
            found.update(answers)
        return found

    def clear(self) -> None:
        self._answers.clear()


@dataclass(frozen=True)
class _LinkGraph:
    """Undirected links by entity id, as sorted arrays (a few MB where Python sets would take tens): the
    neighbours of entity `i` are `neighbours[start[i]:start[i + 1]]`."""

    start: np.ndarray
    neighbours: np.ndarray

    @classmethod
    def read(cls, db: sqlite3.Connection | None) -> _LinkGraph:
        pairs = np.array(db.execute(_TRAIN_LINKS_SQL).fetchall() if db is not None else [], dtype=np.int32)
        pairs = pairs.reshape(-1, 2)
        source = np.concatenate([pairs[:, 0], pairs[:, 1]])
        target = np.concatenate([pairs[:, 1], pairs[:, 0]])
        order = np.argsort(source, kind="stable")
        size = int(source.max()) + 2 if len(source) else 1
        start = np.searchsorted(source[order], np.arange(size)).astype(np.int64)
        return cls(start, target[order])

    def pairs(self, ids: np.ndarray) -> np.ndarray:
        """`KB.link_pairs` without `leave_out`, for distinct entity ids (-1: a title the KB does not know): positions
        in `ids`, both ways. Array operations over all wanted entities' neighbours (a popular entity has thousands)."""
        known = np.flatnonzero((ids >= 0) & (ids < len(self.start) - 1))
        owner_ids = ids[known]
        counts = self.start[owner_ids + 1] - self.start[owner_ids]
        firsts = np.repeat(self.start[owner_ids] - (np.cumsum(counts) - counts), counts)
        neighbours = self.neighbours[firsts + np.arange(int(counts.sum()))]
        owners = np.repeat(known, counts)
        order = np.argsort(owner_ids)
        wanted = owner_ids[order]
        at = np.searchsorted(wanted, neighbours).clip(max=max(len(wanted) - 1, 0))
        kept = wanted[at] == neighbours if len(wanted) else np.zeros(0, dtype=bool)
        return np.stack([owners[kept], known[order][at[kept]]], axis=1)


def _as_sets(titles: Sequence[str], pairs: np.ndarray) -> dict[str, set[str]]:
    """Link pairs (positions in `titles`) as each linked title → the titles it links with."""
    linked: dict[str, set[str]] = {}
    for one, other in pairs.tolist():
        linked.setdefault(titles[one], set()).add(titles[other])
    return linked


def names_kb(kb: KB) -> KB:
    """The KB whose names a gazetteer of Wikipedia's names reads (`ModelConfig.gazetteer_source`): `kb` when it is a
    Wikipedia KB, else the Wikipedia KB in the cache once built (training and scoring on AIDA take candidates from
    the AIDA KB), else `kb` itself, with a warning: its aliases are far fewer names than the model learned."""
    if "wikipedia" in kb.meta:
        return kb
    wikipedia = default_wikipedia_kb_path()
    if wikipedia.is_file():
        return _shared_kb(wikipedia.resolve())
    logger.warning(
        "%s: this model's gazetteer reads Wikipedia's names, and no Wikipedia KB is built; it reads this KB's "
        "aliases instead and will miss names. Build it once: make wikipedia-kb",
        kb.path,
    )
    return kb


@functools.cache
def _shared_kb(path: Path) -> KB:
    """One open KB per path and process, for the gazetteer of every model that reads it (read-only, never closed)."""
    return KB(path)
