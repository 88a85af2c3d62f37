"""The knowledge base: entities, aliases with priors and PPRforNED candidate lists in one SQLite file."""

from jointel.kb.build import KBStats, PprCoverage, build_kb
from jointel.kb.lookup import KB, Candidate, Entity, KBFormatError
from jointel.kb.normalize import alias_variants, normalize
from jointel.kb.prior import PriorWeights
from jointel.kb.stats import (
    PROTOCOLS,
    BaselineScore,
    GoldMention,
    Protocol,
    RecallReport,
    candidate_recall,
    gold_mentions,
    prior_baseline,
)

__all__ = [
    "KB",
    "PROTOCOLS",
    "BaselineScore",
    "Candidate",
    "Entity",
    "GoldMention",
    "KBFormatError",
    "KBStats",
    "PprCoverage",
    "PriorWeights",
    "Protocol",
    "RecallReport",
    "alias_variants",
    "build_kb",
    "candidate_recall",
    "gold_mentions",
    "normalize",
    "prior_baseline",
]
