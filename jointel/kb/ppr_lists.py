"""PPRforNED's candidate lists per AIDA document, how AIDA's mentions find them, and the links among them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from jointel.data import SPLITS, Corpus, Document
from jointel.kb.normalize import normalize
from jointel.kb.prior import surface
from jointel.kb.sources import PprCandidate, PprMention


@dataclass(frozen=True)
class PprCoverage:
    """How the annotated AIDA mentions of one split obtain a PPR candidate list."""

    direct: int  # a PPR ENTITY line of the document has the mention's surface (text or origText)
    aligned: int  # no such line, but one of the document has the mention's gold title
    missing: int  # neither: the PPR protocol falls back to the realistic candidates


def ppr_lists(
    corpus: Corpus, mentions: list[PprMention]
) -> tuple[dict[tuple[int, str], set[str]], dict[str, PprCoverage]]:
    """(document, alias key) → candidate titles, and how each split's AIDA mentions were covered."""
    lists: dict[tuple[int, str], set[str]] = defaultdict(set)
    by_gold: dict[tuple[int, str], set[str]] = defaultdict(set)
    for mention in mentions:
        titles = {candidate.entity for candidate in mention.candidates}
        for key in {normalize(mention.text), normalize(mention.orig_text)}:
            lists[mention.doc, key] |= titles
        if mention.entity is not None:
            by_gold[mention.doc, mention.entity] |= titles
    aligned: dict[tuple[int, str], set[str]] = defaultdict(set)
    coverage = {}
    for split in SPLITS:
        counts = Counter()
        for doc, text, entity in annotated_mentions(corpus[split]):
            key = doc, normalize(text)
            if key in lists:
                counts["direct"] += 1
            elif entity is not None and (doc, entity) in by_gold:
                aligned[key] |= by_gold[doc, entity]
                counts["aligned"] += 1
            else:
                counts["missing"] += 1
        coverage[split] = PprCoverage(counts["direct"], counts["aligned"], counts["missing"])
    for key, titles in aligned.items():
        lists[key] |= titles
    return dict(lists), coverage


def annotated_mentions(documents: Iterable[Document]) -> Iterator[tuple[int, str, str | None]]:
    """(document number, surface, gold entity or None for NIL) of every span annotated for EL."""
    for document in documents:
        for sentence in document.sentences:
            for span in sentence.spans:
                if span.is_annotated:
                    yield document.number, surface(sentence.tokens, span.start, span.end), span.entity


def ppr_links(mentions: Iterable[PprMention]) -> dict[int, set[tuple[str, str]]]:
    """Per document, the entity pairs (titles in sorted order) its PPR list links.

    A candidate's `links` are page ids of other candidates of its document; they are resolved within that document.
    """
    by_doc: dict[int, list[PprCandidate]] = defaultdict(list)
    for mention in mentions:
        by_doc[mention.doc] += mention.candidates
    pairs: dict[int, set[tuple[str, str]]] = {}
    for doc, candidates in by_doc.items():
        title_of = {candidate.page_id: candidate.entity for candidate in candidates}
        linked = pairs[doc] = set()
        for candidate in candidates:
            for page_id in candidate.links:
                other = title_of.get(page_id)
                if other is not None and other != candidate.entity:
                    linked.add((min(candidate.entity, other), max(candidate.entity, other)))
    return pairs
