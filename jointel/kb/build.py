"""Build the SQLite knowledge base from the corpus and the PPRforNED files, atomically.

Entities are every title any data file names: AIDA gold links of all splits and every PPR candidate of all
documents, one per page (a PPR title of the page of an AIDA title is merged into it: `jointel.kb.pages`). Aliases
and priors (the realistic protocol) come from train evidence only, see `jointel.kb.prior`.

The PPR protocol stores, per document, each ENTITY line's candidates under normalize(text) and, when it differs,
normalize(origText). PPR rewrites some surfaces ("Commission" → "European Commission"), so an AIDA mention whose
surface has no PPR line in its document is aligned to a PPR line of the same document with the same gold title
and stored under its own surface. `KBStats.coverage` counts, per split, the AIDA mentions served directly, by
that alignment, or not at all (those fall back to the realistic candidates at lookup).

The database is written to a temporary file beside the target and renamed over it only when complete, so an
interrupted build never leaves a half KB.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from jointel.data import SPLITS, Corpus
from jointel.data.corpus import AIDA_FILE, CONLL_FILES
from jointel.data.files import replaced_atomically
from jointel.kb.pages import renamed, same_page_titles
from jointel.kb.ppr_lists import PprCoverage, annotated_mentions, ppr_links, ppr_lists
from jointel.kb.prior import (
    AliasEvidence,
    PriorWeights,
    alias_priors,
    collect_evidence,
    popularity_weights,
)
from jointel.kb.schema import GAZETTEER_TABLE, SCHEMA, SCHEMA_VERSION, rank_key
from jointel.kb.sources import (
    FREEBASE_FILE,
    PPR_FILE,
    PprMention,
    file_digest,
    read_aida_page_ids,
    read_freebase_popularity,
    read_ppr,
    source_path,
)
from jointel.kb.titles import TitleCaser
from jointel.kb.types import TypeGuesser
from jointel.kb.wikipedia import PACKAGE, WikipediaTitles, wikipedia_key
from jointel.kb.wikipedia_merge import estimated_popularity, wikipedia_names, wikipedia_titles


@dataclass(frozen=True)
class KBStats:
    path: Path
    entities: int
    aliases: int  # distinct alias keys
    alias_entries: int  # (alias, entity) pairs with a prior
    ppr_entries: int  # (document, alias, entity) rows
    ppr_mentions: int  # ENTITY lines read from the PPR archive
    links: int  # entity pairs with a Wikipedia link between them
    coverage: dict[str, PprCoverage]
    size_bytes: int


@dataclass(slots=True)  # millions of them with Wikipedia's titles
class _Entity:
    page_id: int | None = None
    type: str | None = None
    in_count: int | None = None
    freebase: float | None = None
    estimated_popularity: float = 0.0  # for entities without a PPR inCount (Wikipedia titles)

    @property
    def popularity(self) -> float:
        return math.log1p(self.in_count) if self.in_count is not None else self.estimated_popularity


def build_kb(
    corpus: Corpus,
    data_dir: Path,
    out_path: Path,
    weights: PriorWeights | None = None,
    wikipedia: WikipediaTitles | None = None,
) -> KBStats:
    """Build the KB for `corpus` from the PPR and Freebase files in `data_dir` into `out_path` (atomic).

    `weights` of the realistic prior default to the tuned `PriorWeights()`. With `wikipedia`, every Wikipedia
    article is an entity too (see `jointel.kb.wikipedia_merge`), and the NER gazetteer keeps the AIDA KB's aliases.
    """
    data_dir, out_path, weights = Path(data_dir), Path(out_path), weights or PriorWeights()
    sources = [source_path(data_dir, name) for name in (PPR_FILE, FREEBASE_FILE, AIDA_FILE, *CONLL_FILES.values())]
    aida_page_ids = read_aida_page_ids(data_dir)
    gold_titles = {entity for split in SPLITS for _, _, entity in annotated_mentions(corpus[split]) if entity}
    ppr = read_ppr(sources[0])
    merged = same_page_titles(ppr, aida_page_ids, gold_titles)  # one entity per page (`jointel.kb.pages`)
    mentions = renamed(ppr, merged)
    freebase = read_freebase_popularity(sources[1])
    freebase = {**{merged[title]: score for title, score in freebase.items() if title in merged}, **freebase}
    entities = _entities(corpus, mentions, freebase, aida_page_ids)
    train_numbers = {document.number for document in corpus["train"]}
    train_ppr = [mention for mention in mentions if mention.doc in train_numbers]
    types = {title: row.type for title, row in entities.items()}
    evidence = collect_evidence(corpus["train"], train_ppr, types, merged)
    gazetteer = None
    if wikipedia is not None:
        gazetteer = _gazetteer(evidence, entities, weights)
        entities = _with_wikipedia(entities, merged, evidence, wikipedia, corpus)
    popularity = {title: row.popularity for title, row in entities.items()}
    priors, totals = alias_priors(evidence, popularity_weights(popularity), weights)
    del evidence  # millions of (alias, entity) pairs with Wikipedia's titles: the priors hold what is needed now
    lists, coverage = ppr_lists(corpus, mentions)
    alias_rows = _alias_rows(priors, popularity)
    ppr_rows = _ppr_rows(lists, priors, popularity)
    links = ppr_links(mentions)
    n_links = len(set().union(*links.values()))
    meta = {
        "schema_version": str(SCHEMA_VERSION),
        "jointel_version": version("jointel"),
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "weights": json.dumps(asdict(weights)),
        "coverage": json.dumps({split: asdict(counts) for split, counts in coverage.items()}),
        "train_documents": str(len(train_numbers)),
        "counts": json.dumps(
            {
                "entities": len(entities),
                "aliases": len(priors),
                "alias_entries": len(alias_rows),
                "ppr": len(ppr_rows),
                "links": n_links,
                "same_page_titles": len(merged),
            }
        ),
        **({"wikipedia": f"{PACKAGE} {wikipedia.version}"} if wikipedia is not None else {}),
        **{f"sha256:{path.name}": file_digest(path) for path in sources},
    }
    _write_atomic(out_path, entities, alias_rows, totals, ppr_rows, links, train_numbers, meta, gazetteer)
    return KBStats(
        path=out_path,
        entities=len(entities),
        aliases=len(priors),
        alias_entries=len(alias_rows),
        ppr_entries=len(ppr_rows),
        ppr_mentions=len(mentions),
        links=n_links,
        coverage=coverage,
        size_bytes=out_path.stat().st_size,
    )


def _entities(
    corpus: Corpus, mentions: list[PprMention], freebase: Mapping[str, float], aida_page_ids: Mapping[str, int]
) -> dict[str, _Entity]:
    """Every title named by AIDA gold (all splits) or a PPR list, with page id, type and popularity."""
    entities: dict[str, _Entity] = {}
    types: dict[str, Counter[str]] = defaultdict(Counter)
    for mention in mentions:
        if mention.entity is not None:
            entities.setdefault(mention.entity, _Entity())
        for candidate in mention.candidates:
            row = entities.setdefault(candidate.entity, _Entity())
            row.page_id = candidate.page_id
            row.in_count = max(row.in_count or 0, candidate.in_count)
            if candidate.type is not None:
                types[candidate.entity][candidate.type] += 1
    for split in SPLITS:
        for _, _, entity in annotated_mentions(corpus[split]):
            if entity is not None:
                entities.setdefault(entity, _Entity())
    for title, row in entities.items():
        row.page_id = row.page_id if row.page_id is not None else aida_page_ids.get(title)
        row.freebase = freebase.get(title)
        if types[title]:
            row.type = types[title].most_common(1)[0][0]
    return dict(sorted(entities.items()))


def _with_wikipedia(
    entities: dict[str, _Entity],
    merged: Mapping[str, str],
    evidence: AliasEvidence,
    wikipedia: WikipediaTitles,
    corpus: Corpus,
) -> dict[str, _Entity]:
    """`entities` and every Wikipedia article (estimated popularity, guessed type), in title order; their names in
    `evidence`. An article whose key is that of a `merged` title is the entity that title was merged into."""
    sentences = (sentence.tokens for document in corpus["train"] for sentence in document.sentences)
    spellings = {**{title: title for title in entities}, **merged}
    title_of = wikipedia_titles(wikipedia, spellings, TitleCaser.learn(entities, sentences))
    known = {wikipedia_key(title): row.popularity for title, row in entities.items() if row.in_count is not None}
    popularity = estimated_popularity(wikipedia, known)
    types = TypeGuesser.train(list(entities), [row.type for row in entities.values()])
    merged = dict(entities)
    for key, title in title_of.items():
        if title not in merged:
            merged[title] = _Entity(type=types.guess(key), estimated_popularity=popularity[key])
    evidence.add_names(wikipedia_names(wikipedia, title_of))
    return dict(sorted(merged.items()))


def _gazetteer(
    evidence: AliasEvidence, entities: Mapping[str, _Entity], weights: PriorWeights
) -> list[tuple[str, str | None, float]]:
    """(alias, type of its top entity, Σ score) of the AIDA KB: what the NER gazetteer of a model reads, kept when
    Wikipedia's millions of titles (most of them common words too) join the alias table."""
    popularity = {title: row.popularity for title, row in entities.items()}
    priors, totals = alias_priors(evidence, popularity_weights(popularity), weights)
    rows = []
    for alias, by_entity in sorted(priors.items()):
        top = min(by_entity, key=lambda title: rank_key(by_entity[title][1], popularity[title], title))
        rows.append((alias, entities[top].type, totals[alias]))
    return rows


def _alias_rows(
    priors: Mapping[str, Mapping[str, tuple[float, float]]], popularity: Mapping[str, float]
) -> list[tuple[str, str, float, float, int]]:
    """(alias, entity, count, prior, rank) rows; rank 1 is the highest prior, ties broken by popularity."""
    rows = []
    for alias in sorted(priors):
        by_entity = priors[alias]
        ranked = _ranked({title: prior for title, (_, prior) in by_entity.items()}, popularity)
        rows += [(alias, title, by_entity[title][0], by_entity[title][1], rank) for rank, title in ranked]
    return rows


def _ppr_rows(
    lists: Mapping[tuple[int, str], set[str]],
    priors: Mapping[str, Mapping[str, tuple[float, float]]],
    popularity: Mapping[str, float],
) -> list[tuple[int, str, str, float, int]]:
    """(doc, alias, entity, realistic prior, rank) rows: the prior, not file order, ranks a PPR list (gold is first).

    The prior is that of the exact (alias, entity) pair: backing off to alias variants here lost 0.1 points of
    testa PPR recall@1.
    """
    rows = []
    for (doc, alias), titles in sorted(lists.items()):
        known = priors.get(alias, {})
        prior_of = {title: known[title][1] if title in known else 0.0 for title in titles}
        rows += [(doc, alias, title, prior_of[title], rank) for rank, title in _ranked(prior_of, popularity)]
    return rows


def _ranked(prior_of: Mapping[str, float], popularity: Mapping[str, float]) -> list[tuple[int, str]]:
    """(rank, entity) by prior, then popularity, then title; stored so that lookups read rows in order, unsorted."""
    order = sorted(prior_of, key=lambda title: rank_key(prior_of[title], popularity[title], title))
    return list(enumerate(order, start=1))


def _write_atomic(
    out_path: Path,
    entities: Mapping[str, _Entity],
    alias_rows: Iterable[tuple[str, str, float, float, int]],
    totals: Mapping[str, float],
    ppr_rows: Iterable[tuple[int, str, str, float, int]],
    links: Mapping[int, set[tuple[str, str]]],
    train_numbers: set[int],
    meta: Mapping[str, str],
    gazetteer: Iterable[tuple[str, str | None, float]] | None = None,
) -> None:
    """Write everything to a temporary file beside `out_path`, then rename it over `out_path`."""
    id_of = {title: number for number, title in enumerate(entities, start=1)}
    with replaced_atomically(out_path) as temp, closing(sqlite3.connect(temp)) as db:
        _fill(db, entities, id_of, alias_rows, totals, ppr_rows, meta)
        _fill_links(db, id_of, links, train_numbers)
        if gazetteer is not None:
            db.execute(GAZETTEER_TABLE)
            db.executemany("INSERT INTO gazetteer (alias, type, total) VALUES (?, ?, ?)", gazetteer)
        db.execute("ANALYZE")
        db.commit()


def _fill(
    db: sqlite3.Connection,
    entities: Mapping[str, _Entity],
    id_of: Mapping[str, int],
    alias_rows: Iterable[tuple[str, str, float, float, int]],
    totals: Mapping[str, float],
    ppr_rows: Iterable[tuple[int, str, str, float, int]],
    meta: Mapping[str, str],
) -> None:
    # No journal: the file is private until renamed, so a crash loses nothing that a rebuild does not restore.
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    for statement in SCHEMA:
        db.execute(statement)
    db.executemany(
        "INSERT INTO entities (id, title, page_id, type, popularity, in_count, freebase) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (id_of[title], title, row.page_id, row.type, row.popularity, row.in_count, row.freebase)
            for title, row in entities.items()
        ),
    )
    db.executemany(
        "INSERT INTO aliases (alias, entity_id, count, prior, rank) VALUES (?, ?, ?, ?, ?)",
        ((alias, id_of[title], count, prior, rank) for alias, title, count, prior, rank in alias_rows),
    )
    db.executemany("INSERT INTO alias_totals (alias, total) VALUES (?, ?)", sorted(totals.items()))
    db.executemany(
        "INSERT INTO ppr_candidates (doc, alias, entity_id, prior, rank) VALUES (?, ?, ?, ?, ?)",
        ((doc, alias, id_of[title], prior, rank) for doc, alias, title, prior, rank in ppr_rows),
    )
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))


def _fill_links(
    db: sqlite3.Connection,
    id_of: Mapping[str, int],
    links: Mapping[int, set[tuple[str, str]]],
    train_numbers: set[int],
) -> None:
    """`ppr_links` per document, and `entity_links` with the number of train documents that have each pair."""
    rows = sorted((doc, *sorted((id_of[one], id_of[other]))) for doc, pairs in links.items() for one, other in pairs)
    db.executemany("INSERT INTO ppr_links (doc, a, b) VALUES (?, ?, ?)", rows)
    train: Counter[tuple[int, int]] = Counter()
    for doc, a, b in rows:
        train[a, b] += doc in train_numbers
    db.executemany(
        "INSERT INTO entity_links (a, b, train) VALUES (?, ?, ?)", ((a, b, n) for (a, b), n in sorted(train.items()))
    )
