"""Tiny models over the 4-document fixture corpus: small enough to train to perfection in seconds."""

from __future__ import annotations

import pytest
import torch

from jointel.data import build_corpus
from jointel.model.config import ModelConfig
from jointel.model.dataset import build_vocabs

TINY = dict(
    word_dim=16,
    pretrained_vectors=False,
    char_dim=8,
    char_hidden=8,
    casing_dim=4,
    context_hidden=16,
    hidden=16,
    action_dim=8,
    label_dim=8,
    entity_dim=8,
    dropout=0.0,
    word_dropout=0.0,
    batch_size=4,
    learning_rate=0.02,
)


@pytest.fixture
def tiny_config() -> ModelConfig:
    return ModelConfig(**TINY)


@pytest.fixture
def tiny_documents(tiny_data_dir):
    corpus = build_corpus(tiny_data_dir)
    return [document for split in ("train", "testa", "testb") for document in corpus[split]]


@pytest.fixture
def tiny_vocabs(tiny_documents):
    return build_vocabs(tiny_documents, [], None)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
