"""Candidate protocols: where a mention's candidate entities, and the Wikipedia links among them, come from.

A protocol is one small class over the KB, so a reader sees what each one reads. `realistic` reads the KB alias
table, as any unseen text can; `ppr` reads the document's own PPRforNED list, the literature's AIDA protocol;
`wikipedia` is `realistic` with what earlier mentions of the document add, for a KB of all of Wikipedia. Adding
a protocol is a class here and its entry in `PROTOCOL_CLASSES`: this is the one place that says what a protocol's
name means, for the model's inputs and for the KB's own measures (`jointel.kb.stats`) alike.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from jointel.kb.document import document_candidates
from jointel.kb.lookup import KB, Candidate

LinksAmong = Callable[[Sequence[str]], np.ndarray]  # distinct titles → (E, 2) positions of linked pairs, both ways


class CandidateProtocol(ABC):
    """The top-`k` candidates of a (document, surface) and the links among a document's candidates.

    `lists_from_link_counts` says whether an entity is a candidate only because links to it were counted (the alias
    table): then a candidate that only a training document's own links supported is no candidate for unseen text,
    and leave-one-out priors drop it (`HeldOut.drop_unsupported`).
    """

    name: ClassVar[str]
    lists_from_link_counts: ClassVar[bool]
    reads_any_text: ClassVar[bool] = True  # False: it needs the AIDA document's own data (PPRforNED lists)

    def __init__(self, kb: KB, k: int | None):
        self.kb = kb
        self.k = k

    @abstractmethod
    def candidates(self, document_number: int, surface: str) -> list[Candidate]:
        """The candidates of `surface` in AIDA document `document_number`, best first."""

    def in_document(self, surfaces: Sequence[str], lists: Sequence[list[Candidate]]) -> list[list[Candidate]]:
        """The candidate lists of a document's mentions (`surfaces` in text order) once the document has been read:
        the lists themselves, unless the protocol learns from the document (`WikipediaCandidates`)."""
        return list(lists)

    @abstractmethod
    def links(self, document_number: int, held_out: bool) -> LinksAmong:
        """Who links with whom among a document's candidate titles; `held_out` for a training document, whose own
        gold links must not be seen (see `HeldOut`)."""


class RealisticCandidates(CandidateProtocol):
    """The KB alias table, and the links of train documents' PPRforNED lists: what annotation of any text reads."""

    name = "realistic"
    lists_from_link_counts = True

    def candidates(self, document_number: int, surface: str) -> list[Candidate]:
        return self.kb.candidates(surface, self.k)

    def links(self, document_number: int, held_out: bool) -> LinksAmong:
        """A held-out (training) document does without the links only its own list has."""
        return functools.partial(self.kb.link_pairs, leave_out=document_number if held_out else None)


class PPRCandidates(CandidateProtocol):
    """The document's own PPRforNED list and its links (training documents read theirs too: the protocol's data)."""

    name = "ppr"
    lists_from_link_counts = False
    reads_any_text = False

    def candidates(self, document_number: int, surface: str) -> list[Candidate]:
        return self.kb.ppr_candidates(document_number, surface, self.k)

    def links(self, document_number: int, held_out: bool) -> LinksAmong:
        return functools.partial(self.kb.ppr_link_pairs, document_number)


class WikipediaCandidates(RealisticCandidates):
    """The realistic protocol for a KB with all of Wikipedia's titles: a mention that shortens an earlier one of
    its document ("Clinton" after "Bill Clinton", "NYSE" after "New York Stock Exchange") also gets that mention's
    candidates (`jointel.kb.document`), since among millions of titles its own best guess is often a namesake."""

    name = "wikipedia"

    def in_document(self, surfaces: Sequence[str], lists: Sequence[list[Candidate]]) -> list[list[Candidate]]:
        return document_candidates(surfaces, lists, self.k)


PROTOCOL_CLASSES: dict[str, type[CandidateProtocol]] = {
    protocol.name: protocol for protocol in (RealisticCandidates, PPRCandidates, WikipediaCandidates)
}
PROTOCOLS: tuple[str, ...] = tuple(PROTOCOL_CLASSES)
WIKIPEDIA = WikipediaCandidates.name  # meant for a KB of Wikipedia's titles (`jointel kb stats` asks for one)


def text_protocol(name: str) -> str:
    """The protocol to annotate any text with, for a model trained with protocol `name`: `wikipedia` (the alias
    table and what earlier mentions of the document add), unless the model needs PPRforNED lists, which unseen text
    does not have; then `realistic`. On AIDA testa the bundled (realistic-trained) model gained 0.14 EL F1 and 0.42
    ED accuracy from the document's evidence with the AIDA KB, 0.18 and 0.23 with the Wikipedia KB."""
    found = PROTOCOL_CLASSES.get(name)
    return WikipediaCandidates.name if found is not None and found.reads_any_text else RealisticCandidates.name


def candidate_protocol(name: str, kb: KB, k: int | None) -> CandidateProtocol:
    """The protocol called `name` (`ModelConfig.candidate_protocol`, `--protocol`) over `kb`, `k` candidates each."""
    if name not in PROTOCOL_CLASSES:
        raise ValueError(f"unknown candidate protocol {name!r}: expected one of {', '.join(PROTOCOL_CLASSES)}")
    return PROTOCOL_CLASSES[name](kb, k)
