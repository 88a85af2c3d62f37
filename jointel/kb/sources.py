"""Readers for the raw files the KB is built from: PPRforNED candidate lists, Freebase popularity, AIDA page ids.

Formats are described in shared/data/PROVENANCE.md. The PPR archive is read in place with `tarfile` (never
extracted). Its candidate order is NOT a ranking: the gold candidate was injected first in every linked list.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path

from jointel.data import DataFormatError, title_of_url
from jointel.data.corpus import AIDA_FILE

logger = logging.getLogger(__name__)

PPR_FILE = "ppr_aida_candidates.tar.gz"
FREEBASE_FILE = "ppr_Freebase_popularity.gz"
UNKNOWN_TYPES = frozenset({"UNK", "UKN"})  # "UKN" is a typo for UNK on 438 candidate lines
_ENTITY_FIELDS = ("text", "origText", "url")
# CANDIDATE columns are positional (id, inCount, outCount, links, url, name, normalName, normalWikiTitle,
# predictedType); reading the five we need by position keeps parsing 378k lines fast, and each is checked by name.
_CANDIDATE_COLUMNS = {"id": 0, "inCount": 1, "links": 3, "url": 4, "predictedType": 8}


@dataclass(frozen=True)
class PprCandidate:
    entity: str  # Wikipedia title, as `title_of_url` spells AIDA's
    page_id: int
    in_count: int  # Wikipedia in-links: the popularity signal
    type: str | None  # PPR predictedType (GPE, ORG, PER); None when UNK
    links: tuple[int, ...] = ()  # page ids of the document's other candidates this one shares a Wikipedia link with


@dataclass(frozen=True)
class PprMention:
    """One PPR ENTITY line and its candidates in FILE order (gold injected first: never use it as a ranking)."""

    doc: int  # AIDA document number = PPR file number
    text: str  # PPR's surface, sometimes rewritten ("Seles" → "Monica Seles")
    orig_text: str  # the surface as in the AIDA document
    entity: str | None  # gold title; None = NIL
    candidates: tuple[PprCandidate, ...]


def source_path(data_dir: Path, name: str) -> Path:
    """`data_dir / name`, or a FileNotFoundError that says where the file comes from."""
    path = Path(data_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing KB source file (see shared/data/PROVENANCE.md)")
    return path


def file_digest(path: Path) -> str:
    """SHA-256 of a source file, recorded in the KB so that a stale KB can be recognised."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_ppr(path: Path) -> list[PprMention]:
    """Every ENTITY line of the PPRforNED archive, ordered by document number then file order."""
    mentions: list[PprMention] = []
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:
            doc = member.name.rsplit("/", 1)[-1]
            if not (member.isfile() and doc.isdigit()):
                continue
            handle = archive.extractfile(member)
            if handle is None:
                raise DataFormatError(f"{path}:{member.name}", 0, "cannot read archive member")
            mentions += _parse_ppr_file(f"{path}:{member.name}", int(doc), handle.read())
    if not mentions:
        raise DataFormatError(path, 0, "no ENTITY lines: expected AIDA_candidates/PART_*/<doc number> files")
    mentions.sort(key=lambda mention: mention.doc)  # stable: keeps file order inside a document
    return mentions


def _parse_ppr_file(where: str, doc: int, raw: bytes) -> list[PprMention]:
    try:
        lines = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError as error:
        raise DataFormatError(where, 0, f"not UTF-8 at byte {error.start}") from None
    mentions: list[PprMention] = []
    candidates: list[PprCandidate] = []
    head: dict[str, str] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        kind, *columns = line.rstrip("\t").split("\t")
        if kind == "ENTITY":
            if head is not None:
                mentions.append(_mention(doc, head, candidates))
            head, candidates = _fields(where, number, columns, _ENTITY_FIELDS), []
        elif kind == "CANDIDATE" and head is not None:
            candidates.append(_candidate(where, number, columns))
        else:
            raise DataFormatError(where, number, f"expected an ENTITY line or a CANDIDATE after one, got {kind!r}")
    if head is not None:
        mentions.append(_mention(doc, head, candidates))
    return mentions


def _fields(where: str, number: int, columns: list[str], required: tuple[str, ...]) -> dict[str, str]:
    fields = dict(column.partition(":")[::2] for column in columns)
    missing = [name for name in required if name not in fields]
    if missing:
        raise DataFormatError(where, number, f"missing field(s) {', '.join(missing)}: expected name:value columns")
    return fields


def _mention(doc: int, head: dict[str, str], candidates: list[PprCandidate]) -> PprMention:
    entity = None if head["url"] == "NIL" else title_of_url(head["url"])
    return PprMention(doc, head["text"], head["origText"], entity, tuple(candidates))


def _candidate(where: str, number: int, columns: list[str]) -> PprCandidate:
    values = {}
    for name, position in _CANDIDATE_COLUMNS.items():
        column = columns[position] if position < len(columns) else ""
        if not column.startswith(f"{name}:"):
            raise DataFormatError(where, number, f"CANDIDATE column {position + 2} should be {name}:…, got {column!r}")
        values[name] = column[len(name) + 1 :]
    try:
        page_id, in_count, entity = int(values["id"]), int(values["inCount"]), title_of_url(values["url"])
        links = tuple(int(link) for link in values["links"].split(";") if link)
    except ValueError as error:
        raise DataFormatError(where, number, f"bad CANDIDATE field: {error}") from None
    kind = values["predictedType"]
    return PprCandidate(entity, page_id, in_count, None if kind in UNKNOWN_TYPES else kind, links)


def read_freebase_popularity(path: Path) -> dict[str, float]:
    """Title → Freebase popularity score; lines without a Wikipedia URL or a score (one `NIL` line) are skipped."""
    scores = {}
    skipped = 0
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            url, _, score = line.rstrip("\n").partition("\t")
            try:
                title = title_of_url(url.removeprefix("url:"))
                scores[title] = float(score)
            except ValueError:
                skipped += 1
                logger.debug("%s:%d: skipped %r", path, number, line[:80])
    logger.info("%s: %d scores, %d lines without a Wikipedia URL or score skipped", path, len(scores), skipped)
    return scores


def read_aida_page_ids(data_dir: Path) -> dict[str, int]:
    """Title → Wikipedia page id from the AIDA file's 6th column (the corpus keeps titles only)."""
    page_ids = {}
    path = source_path(data_dir, AIDA_FILE)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            columns = line.rstrip("\n").split("\t")
            if len(columns) >= 6 and columns[5].isdigit():
                page_ids[title_of_url(columns[4])] = int(columns[5])
    return page_ids
