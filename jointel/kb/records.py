"""The entities JSONL that `jointel kb add` reads and `jointel kb export` writes: one JSON object a line.

`{"title": …, "aliases": […], "type": "PER|ORG|LOC|MISC", "description": …, "popularity": …, "weight": …}`, only the
title required. Input is checked strictly, at the edge: an error names the file, the line, what was found and what
was expected. Types are the CoNLL labels users know; the KB stores PPR's coarse types (LOC is GPE, MISC none).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from jointel.data import DataFormatError
from jointel.kb.normalize import normalize

DEFAULT_WEIGHT = 1.0  # one AIDA train gold link, in the units of jointel.kb.prior
# Bounds far beyond any real value that keep sums finite: the most linked alias of AIDA train has a few hundred
# links (scores add up per alias: two weights of 1e308 overflowed), and popularity is log1p(in-links), at most 15
# for the most linked Wikipedia article (the linker reads it as a feature, popularity / 10).
MAX_WEIGHT = 1e9
MAX_POPULARITY = 100.0
KB_TYPE_OF: dict[str, str | None] = {"PER": "PER", "ORG": "ORG", "LOC": "GPE", "MISC": None}
RECORD_TYPE_OF = {"PER": "PER", "ORG": "ORG", "GPE": "LOC"}  # a KB entity without a type has none in its record
FIELDS = ("title", "aliases", "type", "popularity", "description", "weight")


@dataclass(frozen=True)
class EntityRecord:
    """One line of an entities JSONL file; `type` is PER | ORG | LOC | MISC, None when the line gives none."""

    title: str  # in Wikipedia's spelling, see `entity_title`
    aliases: tuple[str, ...] = ()
    type: str | None = None
    popularity: float | None = None  # log1p(Wikipedia in-links); None: a default if new, kept on a merge
    description: str | None = None
    weight: float = DEFAULT_WEIGHT  # score of each alias, in train gold links

    def alias_keys(self) -> list[str]:
        """The keys of the title and of each alias, without repeats."""
        return list(dict.fromkeys(normalize(name) for name in (self.title, *self.aliases)))


def entity_title(name: str) -> str:
    """The KB id of an entity name, spelt as Wikipedia titles are: "Zorblax Dynamics" → "Zorblax_Dynamics"."""
    return "_".join(name.split())


def read_entity_records(path: Path) -> list[EntityRecord]:
    """The records of a JSONL file, one JSON object per line (blank lines skipped), checked strictly.

    Raises DataFormatError naming the file, the line, what was found and what was expected.
    """
    path, records = Path(path), []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise DataFormatError(path, number, "not UTF-8 text") from None
            if line.strip():
                records.append(_parse_record(line, functools.partial(DataFormatError, path, number)))
    return records


def _parse_record(line: str, fail: Callable[[str], DataFormatError]) -> EntityRecord:
    try:
        fields = json.loads(line.rstrip("\r\n"))  # so that an error at the end points into the line
    except json.JSONDecodeError as error:
        raise fail(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(fields, dict):
        raise fail(f'expected a JSON object such as {{"title": "…", "aliases": ["…"]}}, got {_shown(fields)}')
    unknown = [key for key in fields if key not in FIELDS]
    if unknown:
        raise fail(f"unknown key {unknown[0]!r}: expected {', '.join(FIELDS)}")
    if not isinstance(fields.get("title"), str) or not normalize(fields["title"]):
        found = _shown(fields["title"]) if "title" in fields else "none"
        raise fail(f'expected "title": a string with a letter or digit, got {found}')
    aliases = fields.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(alias, str) and normalize(alias) for alias in aliases):
        raise fail(f'expected "aliases": a list of strings, each with a letter or digit, got {_shown(aliases)}')
    if "type" in fields and fields["type"] not in KB_TYPE_OF:
        raise fail(f'unknown "type" {_shown(fields["type"])}: expected one of {", ".join(KB_TYPE_OF)}')
    if not isinstance(fields.get("description", ""), str):
        raise fail(f'expected "description": a string, got {_shown(fields["description"])}')
    for key, text in (("title", fields["title"]), *(("aliases", alias) for alias in aliases)):
        _check_unicode(key, text, fail)
    _check_unicode("description", fields.get("description", ""), fail)
    weight = _number(fields, "weight", fail, is_zero_allowed=False, maximum=MAX_WEIGHT)
    return EntityRecord(
        title=entity_title(fields["title"]),
        aliases=tuple(aliases),
        type=fields.get("type"),
        popularity=_number(fields, "popularity", fail, is_zero_allowed=True, maximum=MAX_POPULARITY),
        description=fields.get("description"),
        weight=DEFAULT_WEIGHT if weight is None else weight,
    )


def _check_unicode(key: str, text: str, fail: Callable[[str], DataFormatError]) -> None:
    """`text` can be stored: JSON's escape of half a surrogate pair ("\\ud800") gives a string that is not Unicode,
    which SQLite (and any UTF-8 output) refuses."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        problem = f"Unicode text, got a lone surrogate at character {error.start + 1} of {_shown(text)}"
        raise fail(f'expected "{key}": {problem}') from None


def _number(
    fields: Mapping[str, object],
    key: str,
    fail: Callable[[str], DataFormatError],
    is_zero_allowed: bool,
    maximum: float,
) -> float | None:
    """The finite number under `key` (positive, or non-negative when zero is allowed, up to `maximum`), None when
    absent."""
    if key not in fields:
        return None
    value = fields[key]
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    # Comparisons, not float(): they reject NaN and infinity, and cannot overflow on a 400-digit integer.
    if not is_number or not (0 <= value <= maximum if is_zero_allowed else 0 < value <= maximum):
        expected = "a non-negative number" if is_zero_allowed else "a positive number"
        raise fail(f'expected "{key}": {expected} up to {maximum:,.0f}, got {_shown(value)}')
    return float(value)


def _shown(value: object) -> str:
    """`value` as JSON for a message, cut to 60 characters; lone surrogates escaped, so that it can be printed."""
    text = json.dumps(value, ensure_ascii=False).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 60 else text[:59] + "…"


def entity_record_line(record: EntityRecord) -> str:
    """The JSONL line (newline included) that `read_entity_records` reads back as `record`."""
    fields: dict[str, object] = {"title": record.title, "aliases": list(record.aliases)}
    optional = {"type": record.type, "popularity": record.popularity, "description": record.description}
    fields |= {key: value for key, value in optional.items() if value is not None}
    if record.weight != DEFAULT_WEIGHT:
        fields["weight"] = record.weight
    return json.dumps(fields, ensure_ascii=False) + "\n"
