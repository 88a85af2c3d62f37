"""The EL head: at every REDUCE(X), score the reduced mention's candidates and NIL (softmax over C + 1).

The mention is the parser state p_t at the REDUCE with the composed chunk. A candidate is its entity embedding
(learned for entities seen in training, UNK otherwise) plus its title words through the shared word vectors, so an
entity never seen in training still has a representation; with it go the prior, popularity, rank, string match and
the compatibility of the entity's coarse type with the NER label (and, with `link_coherence`, its Wikipedia links
with the other mentions' candidates). With `document_topic`, a bilinear score of the
document's words against every word of the title says whether the story is about what the entity is about.
NIL is scored from the mention, or (`nil_from_mention` off) by one learned score per NER label.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from jointel.data.documents import LABELS
from jointel.model.batch import Candidates
from jointel.model.candidate_features import ENTITY_TYPES, features_read
from jointel.model.config import ModelConfig


class Linker(nn.Module):
    def __init__(self, config: ModelConfig, n_entities: int, words: nn.Embedding, hidden: int):
        super().__init__()
        E = config.entity_dim
        self.words = words  # shared with the token encoder
        self.entities = nn.Embedding(n_entities, E, padding_idx=0)
        self.title = nn.Linear(words.embedding_dim, E)
        self.mention = nn.Linear(2 * hidden, E)
        self.type_compatibility = nn.Embedding(len(LABELS) * len(ENTITY_TYPES), 1)
        self.topic = nn.Linear(words.embedding_dim, words.embedding_dim, bias=False) if config.document_topic else None
        self.n_features = features_read(config.link_coherence, config.link_isolation)
        n_inputs = self.n_features + 2 + (self.topic is not None)
        self.combine = nn.Sequential(nn.Linear(n_inputs, 32), nn.ReLU(), nn.Linear(32, 1))
        self.nil = (
            nn.Sequential(nn.Linear(2 * hidden, 32), nn.ReLU(), nn.Linear(32, 1))
            if config.nil_from_mention
            else nn.Embedding(len(LABELS), 1)
        )
        self.nil_from_mention = config.nil_from_mention
        self.dropout = nn.Dropout(config.dropout)
        self.entity_dropout = config.entity_dropout

    def entity_vectors(self, candidates: Candidates) -> Tensor:
        """(N, C, E): learned entity embedding + projection of the mean title word vector.

        In training an entity is replaced by UNK with probability `entity_dropout`: most test entities were never
        seen, and without it the linker leans on memorised embeddings (dev accuracy fell below the prior's).
        """
        entity = candidates.entity
        if self.training and self.entity_dropout > 0:
            entity = entity.masked_fill((torch.rand(entity.shape) < self.entity_dropout) & (entity > 0), 1)
        title = self.mean_words(candidates.title)  # (U, E_w)
        return self.entities(entity) + self.title(title)[candidates.slot]  # each distinct title projected once

    def mean_words(self, ids: Tensor) -> Tensor:
        """(R, W) word ids, 0-padded → (R, E_w) mean word vector of each row (zero for an empty row)."""
        mask = (ids > 0).unsqueeze(-1).float()
        return (self.words(ids) * mask).sum(1) / mask.sum(1).clamp(min=1)

    def topic_scores(self, candidates: Candidates) -> Tensor:
        """(N, C): the document's mean word vector, projected, against the mean vector of each title's words."""
        document = self.topic(self.mean_words(candidates.documents))[candidates.document_of]  # (N, E_w)
        title = self.mean_words(candidates.topic_title)[candidates.slot]  # (N, C, E_w)
        return torch.einsum("ne,nce->nc", document, title)

    def forward(self, states: Tensor, items: Tensor, labels: Tensor, candidates: Candidates) -> Tensor:
        """Logits (N, C + 1): candidates, padding at -inf, NIL last."""
        mention = self.dropout(torch.cat([states, items], dim=-1))  # (N, 2H)
        query = self.mention(mention)  # (N, E)
        similarity = torch.einsum("ne,nce->nc", query, self.entity_vectors(candidates))  # (N, C)
        pair = labels.unsqueeze(1) * len(ENTITY_TYPES) + candidates.type  # (N, C)
        type_score = self.type_compatibility(pair).squeeze(-1)  # (N, C)
        scores = [similarity, type_score] + ([self.topic_scores(candidates)] if self.topic is not None else [])
        inputs = torch.cat([torch.stack(scores, dim=-1), candidates.features[..., : self.n_features]], dim=-1)
        scores = self.combine(inputs).squeeze(-1).masked_fill(~candidates.mask, float("-inf"))  # (N, C)
        nil = self.nil(mention) if self.nil_from_mention else self.nil(labels)  # (N, 1)
        return torch.cat([scores, nil], dim=1)  # (N, C + 1)
