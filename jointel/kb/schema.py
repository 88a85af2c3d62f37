"""The SQLite schema of the knowledge base: entities, aliases with priors, per-document PPR lists, metadata.

Two candidate protocols live side by side. `aliases` is the REALISTIC one: every alias → entity association comes
from AIDA train, train PPR lists or the entity titles, never from testa/testb. `ppr_candidates` replays the
PPRforNED per-mention lists of all 1,393 documents (gold injected, so recall is ~100% by construction); its
`prior` column is the realistic prior of the same (alias, entity), used to rank the list instead of file order.
"""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3

# Wikipedia links between entities, from the PPRforNED `links` column (which candidates of a document's list link to
# which). Optional: a KB built before they existed has neither table and knows no links (`KB.has_links`).
LINKS_TABLES = (
    """CREATE TABLE entity_links (
        a INTEGER NOT NULL REFERENCES entities(id),  -- the smaller id: a link is read in both directions
        b INTEGER NOT NULL REFERENCES entities(id),
        train INTEGER NOT NULL,       -- train documents whose list has it; the realistic protocol reads train > 0
        PRIMARY KEY (a, b)
    ) WITHOUT ROWID""",
    """CREATE TABLE ppr_links (
        doc INTEGER NOT NULL,         -- AIDA document number: the PPR protocol reads the document's own links
        a INTEGER NOT NULL REFERENCES entities(id),
        b INTEGER NOT NULL REFERENCES entities(id),
        PRIMARY KEY (doc, a, b)
    ) WITHOUT ROWID""",
)

# The aliases a model's NER gazetteer reads, when they are not the whole alias table: a KB with Wikipedia's titles
# keeps the AIDA KB's aliases here (alias → type of its top entity, Σ score), which the models were trained with.
GAZETTEER_TABLE = """CREATE TABLE gazetteer (
    alias TEXT PRIMARY KEY,
    type TEXT,
    total REAL NOT NULL
) WITHOUT ROWID"""

SCHEMA = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE entities (
        id INTEGER PRIMARY KEY,
        title TEXT UNIQUE NOT NULL,
        page_id INTEGER,              -- Wikipedia page id (PPR, else AIDA); NULL if neither gives one
        type TEXT,                    -- most frequent non-UNK PPR predictedType: GPE | ORG | PER; NULL if none
        popularity REAL NOT NULL,     -- log1p(Wikipedia in-links from PPR); 0 when unknown
        in_count INTEGER,             -- PPR inCount
        freebase REAL                 -- Freebase popularity score, NULL when absent
    )""",
    """CREATE TABLE aliases (
        alias TEXT NOT NULL,          -- normalize(surface or title)
        entity_id INTEGER NOT NULL REFERENCES entities(id),
        count REAL NOT NULL,          -- AIDA train gold links of this alias to this entity
        prior REAL NOT NULL,          -- p(entity | alias), see jointel.kb.prior
        rank INTEGER NOT NULL,        -- 1, 2, … by prior DESC, popularity DESC, title within the alias
        PRIMARY KEY (alias, entity_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE alias_totals (
        alias TEXT PRIMARY KEY,
        total REAL NOT NULL           -- Σ score of the alias: score(alias, entity) = prior · total
    ) WITHOUT ROWID""",
    # The lookup index, ordered by prior: rows come out ranked, so `rank <= k` reads k rows and sorts nothing.
    "CREATE INDEX aliases_by_rank ON aliases (alias, rank, prior)",
    """CREATE TABLE ppr_candidates (
        doc INTEGER NOT NULL,         -- AIDA document number
        alias TEXT NOT NULL,          -- normalize(PPR text | PPR origText | aligned AIDA surface)
        entity_id INTEGER NOT NULL REFERENCES entities(id),
        prior REAL NOT NULL,          -- realistic prior of (alias, entity); 0 when the alias does not know it
        rank INTEGER NOT NULL,        -- by prior DESC, popularity DESC, title: never the file order (gold first)
        PRIMARY KEY (doc, alias, rank)  -- clustered in lookup order; an entity appears once per (doc, alias)
    ) WITHOUT ROWID""",
    *LINKS_TABLES,
)


def rank_key(prior: float, popularity: float, title: str) -> tuple[float, float, str]:
    """Sort key of the `rank` columns: prior, then popularity (both descending), then title; building and editing
    a KB both rank with it, so that lookups read rows in one order."""
    return (-prior, -popularity, title)


def has_table(db: sqlite3.Connection, name: str) -> bool:
    """Whether the KB has table `name`: tables added after a KB was built (links, descriptions) may be missing."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None
