"""Token representations: word vectors, a character BiLSTM and casing (and optionally frozen contextual vectors),
read in context by a sentence BiLSTM."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from jointel.model.batch import Batch
from jointel.model.config import ModelConfig
from jointel.model.gazetteer import n_gazetteer_codes
from jointel.model.ontonotes import N_ONTONOTES_CODES
from jointel.model.tokens import DOCUMENT_CASING_CODES

N_CASING = 8


class CharEncoder(nn.Module):
    """Final states of a BiLSTM over each token's characters (Lample et al. §4.1): spelling for unknown words."""

    def __init__(self, n_chars: int, char_dim: int, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, char_dim, padding_idx=0)
        self.lstm = nn.LSTM(char_dim, hidden, batch_first=True, bidirectional=True)
        self.output_dim = 2 * hidden

    def forward(self, spellings: Tensor, spelling_of: Tensor) -> Tensor:
        """(B, T, 2H) for the tokens of `spelling_of` (B, T), each a row of `spellings` (U, L), read once each."""
        lengths = (spellings > 0).sum(1).clamp(min=1)
        packed = pack_padded_sequence(self.embedding(spellings), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)  # h: (2, U, H)
        return torch.cat([h[0], h[1]], dim=-1)[spelling_of]


class LayerMix(nn.Module):
    """A learned weighted sum of a frozen encoder's layers (ELMo's scalar mix): which layers know most about
    names is learned, not guessed. Starts as their plain mean."""

    def __init__(self, n_layers: int):
        super().__init__()
        self.n_layers = n_layers
        self.weights = nn.Parameter(torch.zeros(n_layers))
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, stacked: Tensor) -> Tensor:
        """(..., n_layers × D) → (..., D)."""
        layers = stacked.unflatten(-1, (self.n_layers, -1))  # (..., L, D)
        return self.scale * torch.einsum("l,...ld->...d", torch.softmax(self.weights, dim=0), layers)


class TokenEncoder(nn.Module):
    """Token vectors shared by the NER transitions and the linker (the shared layers of the joint model)."""

    def __init__(self, config: ModelConfig, n_words: int, n_chars: int, n_clusters: int = 0):
        super().__init__()
        self.words = nn.Embedding(n_words, config.word_dim, padding_idx=0)
        self.chars = CharEncoder(n_chars, config.char_dim, config.char_hidden)
        self.casing = nn.Embedding(N_CASING, config.casing_dim)
        self.gazetteer = (
            nn.Embedding(n_gazetteer_codes(config.gazetteer_source), config.gazetteer_dim)
            if config.gazetteer_dim
            else None
        )
        self.document_casing = (
            nn.Embedding(DOCUMENT_CASING_CODES, config.document_casing_dim) if config.document_casing_dim else None
        )
        if config.cluster_dim:  # frozen, and saved with the classes (`clusters.npz`), not with the weights
            self.register_buffer("cluster_vectors", torch.zeros(n_clusters + 2, config.cluster_dim), persistent=False)
        self.cluster_dim = config.cluster_dim
        self.ontonotes = nn.Embedding(N_ONTONOTES_CODES, config.ontonotes_dim) if config.ontonotes_dim else None
        self.contextual_dim = config.contextual_dim
        self.layer_mix = (
            LayerMix(config.contextual_depth + 1)
            if config.contextual_dim and config.contextual_layers == "all"
            else None
        )
        self.dropout = nn.Dropout(config.dropout)
        input_dim = config.word_dim + self.chars.output_dim + config.casing_dim + config.gazetteer_dim
        input_dim += config.document_casing_dim + config.cluster_dim + config.ontonotes_dim + config.contextual_dim
        self.context = None
        self.output_dim = input_dim
        if config.context_hidden:
            self.context = nn.LSTM(input_dim, config.context_hidden, batch_first=True, bidirectional=True)
            self.output_dim = 2 * config.context_hidden

    def forward(self, batch: Batch) -> Tensor:
        w = self.words(batch.words)  # (B, T, E_w)
        c = self.chars(batch.spellings, batch.spelling_of)  # (B, T, E_c)
        parts = [w, c, self.casing(batch.casing)]
        if self.gazetteer is not None:
            parts.append(self.gazetteer(batch.gazetteer))  # (B, T, E_g)
        if self.document_casing is not None:
            parts.append(self.document_casing(batch.document_casing))  # (B, T, E_d)
        if self.cluster_dim:
            if batch.clusters is None:
                raise ValueError("this model reads word classes, and the batch has none")
            parts.append(self.cluster_vectors[batch.clusters])  # (B, T, E_k)
        if self.ontonotes is not None:
            if batch.ontonotes is None:
                raise ValueError("this model reads spaCy's NER tags, and the batch has none")
            parts.append(self.ontonotes(batch.ontonotes))  # (B, T, E_o)
        if self.contextual_dim:
            if batch.contextual is None:
                raise ValueError("this model reads contextual token vectors, and the batch has none")
            contextual = batch.contextual  # (B, T, D), or (B, T, layers × D) to mix
            parts.append(contextual if self.layer_mix is None else self.layer_mix(contextual))
        x = self.dropout(torch.cat(parts, dim=-1))  # (B, T, E)
        words, lengths = batch.words, batch.lengths
        if self.context is None:
            return x
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.context(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=words.shape[1])
        return self.dropout(out)  # (B, T, H_c)
