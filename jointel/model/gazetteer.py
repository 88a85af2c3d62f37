"""The KB's aliases as a gazetteer for NER: per token, whether it starts or continues a known name, and its type.

`Gazetteer.codes` gives the codes (`N_GAZETTEER_CODES` of them) the encoder embeds beside each word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jointel.kb.normalize import normalize

GAZETTEER_TYPES = ("PER", "ORG", "GPE", None)
N_GAZETTEER_CODES = 1 + 2 * len(GAZETTEER_TYPES)


@dataclass(frozen=True)
class Gazetteer:
    """The KB's aliases as a gazetteer for NER: which word n-grams name an entity, and of what coarse type.

    `table` maps an alias key to (type of its top entity, Σ prior score). `own` (alias key → this document's own
    gold links) hides aliases that only the document itself put in the KB, as `HeldOut` does for priors.
    """

    table: dict[str, tuple[str | None, float]]
    max_words: int = 4

    def codes(self, tokens: Sequence[str], own: dict[str, float] | None = None) -> tuple[int, ...]:
        """Per token 0 (no alias), or 1 + 2·type + (0 first word | 1 later word) of the longest alias match."""
        codes = [0] * len(tokens)
        i = 0
        while i < len(tokens):
            matched = self._match(tokens, i, own or {}) if tokens[i][:1].isupper() else None
            if matched is None:
                i += 1
                continue
            length, kind = matched
            codes[i : i + length] = [1 + 2 * kind] + [2 + 2 * kind] * (length - 1)
            i += length
        return tuple(codes)

    def _match(self, tokens: Sequence[str], start: int, own: dict[str, float]) -> tuple[int, int] | None:
        for length in range(min(self.max_words, len(tokens) - start), 0, -1):
            key = normalize(" ".join(tokens[start : start + length]))
            found = self.table.get(key)
            if found is not None and found[1] - own.get(key, 0.0) > 1e-9:
                return length, GAZETTEER_TYPES.index(found[0]) if found[0] in GAZETTEER_TYPES else 3
        return None
