"""Frozen contextual token vectors as model input, with a stand-in for MiniLM (the real encoder: test_contextual)."""

import dataclasses

import numpy as np
import pytest
import torch

from jointel.model.dataset import build_vocabs, document_features
from jointel.model.joint import JointModel
from jointel.model.predict import predict_documents


class FakeContextual:
    """Vector of a token: (is capitalised, position in its sentence); records every document it is asked for."""

    def __init__(self):
        self.calls = 0

    def __call__(self, sentences):
        self.calls += 1
        return [
            np.array([[float(token[:1].isupper()), float(i)] for i, token in enumerate(tokens)], np.float32).reshape(
                len(tokens), 2
            )
            for tokens in sentences
        ]


@pytest.fixture
def contextual_model(tiny_config, tiny_documents):
    config = dataclasses.replace(tiny_config, contextual_dim=2)
    model = JointModel(config, build_vocabs(tiny_documents, [], None)).eval()
    model._contextual = FakeContextual()
    return model


def test_encoder_reads_the_contextual_vectors(contextual_model, tiny_documents):
    lookup = contextual_model.contextual_lookup()
    features = document_features(tiny_documents[:1], contextual_model.vocabs, None, contextual=lookup)
    batch = contextual_model.batch(features, with_candidates=False)
    assert batch.contextual.shape == (len(features), batch.words.shape[1], 2)
    first = features[0]
    assert batch.contextual[0, : len(first.words)].tolist() == first.contextual.tolist()
    with torch.no_grad():
        before = contextual_model.encoder(batch)
        batch.contextual[0, 0] += 5.0
        after = contextual_model.encoder(batch)
    assert not torch.allclose(before[0], after[0])  # the sentence BiLSTM carries the change along the sentence
    assert torch.equal(before[1:], after[1:])  # other sentences are untouched
    batch.contextual = None
    with pytest.raises(ValueError, match="contextual token vectors"):
        contextual_model.encoder(batch)


def test_contextual_vectors_are_computed_once_per_document_while_remembering(contextual_model, tiny_kb):
    from jointel.kb import KB
    from jointel.model.dataset import KBAccess

    documents = tiny_kb.corpus["testa"]
    fake = contextual_model._contextual
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30)
        first = predict_documents(contextual_model, documents, access)
        assert fake.calls == len(documents)
        with contextual_model.remembering_contextual():
            predict_documents(contextual_model, documents, access)
            again = predict_documents(contextual_model, documents, access)
        assert fake.calls == 2 * len(documents)
        predict_documents(contextual_model, documents, access)  # nothing is kept outside
        assert fake.calls == 3 * len(documents)
    assert again == first


def test_fast_models_have_no_contextual_lookup(tiny_config, tiny_documents):
    assert JointModel(tiny_config, build_vocabs(tiny_documents, [], None)).contextual_lookup() is None
