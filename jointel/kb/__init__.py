"""The knowledge base: entities, aliases with priors and PPRforNED candidate lists in one SQLite file."""

from jointel.kb.build import KBStats, build_kb
from jointel.kb.document import document_candidates
from jointel.kb.lookup import KB, Candidate, Entity, KBFormatError
from jointel.kb.normalize import alias_variants, normalize
from jointel.kb.ppr_lists import PprCoverage
from jointel.kb.prior import PriorWeights
from jointel.kb.protocols import (
    PROTOCOLS,
    WIKIPEDIA,
    CandidateProtocol,
    PPRCandidates,
    RealisticCandidates,
    WikipediaCandidates,
    candidate_protocol,
    text_protocol,
)
from jointel.kb.slice import slice_for_lookups, slice_realistic
from jointel.kb.stats import BaselineScore, GoldMention, RecallReport, candidate_recall, gold_mentions, prior_baseline
from jointel.kb.titles import TitleCaser
from jointel.kb.types import held_out_accuracy
from jointel.kb.wikipedia import MissingPackageError, WikipediaTitles, read_wikipedia, wikipedia_key

__all__ = [
    "KB",
    "PROTOCOLS",
    "WIKIPEDIA",
    "BaselineScore",
    "Candidate",
    "CandidateProtocol",
    "Entity",
    "GoldMention",
    "KBFormatError",
    "KBStats",
    "MissingPackageError",
    "PPRCandidates",
    "PprCoverage",
    "PriorWeights",
    "RealisticCandidates",
    "RecallReport",
    "TitleCaser",
    "WikipediaCandidates",
    "WikipediaTitles",
    "alias_variants",
    "build_kb",
    "candidate_protocol",
    "candidate_recall",
    "document_candidates",
    "gold_mentions",
    "held_out_accuracy",
    "normalize",
    "prior_baseline",
    "read_wikipedia",
    "slice_for_lookups",
    "slice_realistic",
    "text_protocol",
    "wikipedia_key",
]
