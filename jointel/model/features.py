"""One sentence as the integers the network reads: `SentenceFeatures`, assembled by `sentence_features`.

It gathers a sentence's token ids (`tokens.py`), gazetteer and document casing codes, the oracle's gold action ids
(`actions.py`) and its gold mentions' candidate sets (`candidate_features.py`). Everything here is plain Python on one
sentence at a time; `batch.py` pads and stacks the results into tensors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from jointel.data.documents import Sentence, Span
from jointel.model.actions import OUT_ID, action_id
from jointel.model.candidate_features import CandidateSet
from jointel.model.tokens import TokenIds
from jointel.model.transitions import oracle


@dataclass(frozen=True)
class SentenceFeatures:
    """One sentence as integers; `spans` and `candidates` are the gold mentions (empty at prediction time)."""

    words: tuple[int, ...]
    chars: tuple[tuple[int, ...], ...]
    casing: tuple[int, ...]
    gazetteer: tuple[int, ...]
    actions: tuple[int, ...]
    spans: tuple[Span, ...]
    candidates: tuple[CandidateSet, ...]
    document_casing: tuple[int, ...] = ()  # `document_casing` codes; empty: all 0
    clusters: tuple[int, ...] = ()  # word class ids (`clusters.py`); empty without them
    ontonotes: tuple[int, ...] = ()  # spaCy's NER tag codes (`ontonotes.py`); empty without them
    contextual: np.ndarray | None = field(default=None, compare=False)  # (T, contextual_dim) frozen vectors


def sentence_features(
    sentence: Sentence,
    token_ids: TokenIds,
    candidates: Sequence[CandidateSet] = (),
    gazetteer: Sequence[int] | None = None,
    document_casing: Sequence[int] = (),
    contextual: np.ndarray | None = None,
    ontonotes: Sequence[int] = (),
) -> SentenceFeatures:
    spans = tuple(sorted(sentence.spans, key=lambda span: span.start))
    ids = [token_ids(token) for token in sentence.tokens]
    return SentenceFeatures(
        words=tuple(word for word, _, _, _ in ids),
        chars=tuple(spelling for _, spelling, _, _ in ids),
        casing=tuple(case for _, _, case, _ in ids),
        gazetteer=tuple(gazetteer) if gazetteer is not None else (0,) * len(sentence.tokens),
        actions=_gold_actions(len(sentence.tokens), spans),
        spans=spans,
        candidates=tuple(candidates),
        document_casing=tuple(document_casing),
        clusters=tuple(word_class for *_, word_class in ids) if token_ids.clusters is not None else (),
        contextual=contextual,
        ontonotes=tuple(ontonotes),
    )


def _gold_actions(n_tokens: int, spans: tuple[Span, ...]) -> tuple[int, ...]:
    """The oracle's action ids; without spans (unseen text) every token is OUT, as the oracle says, at no cost."""
    if not spans:
        return (OUT_ID,) * n_tokens
    return tuple(action_id(action.op, action.label) for action in oracle(n_tokens, spans))
