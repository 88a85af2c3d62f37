"""Frozen contextual token vectors as model input, with a stand-in for MiniLM (the real encoder: test_contextual)."""

import dataclasses

import numpy as np
import pytest
import torch

from jointel.model.config import ConfigError
from jointel.model.inputs import gold_features
from jointel.model.joint import JointModel
from jointel.model.predict import predict_documents
from jointel.model.tokens import TokenIds
from jointel.model.vocab import build_vocabs


class FakeEncoder:
    """Stands in for `ContextualEncoder`. Vector of a token: (is capitalised, position in its sentence); `calls`
    counts the documents computed, `batches` the calls that computed them."""

    key = "fake encoder"

    def __init__(self):
        self.calls = 0
        self.batches = 0

    def encode_document(self, sentences):
        return self.encode_documents([sentences])[0]

    def encode_documents(self, documents, progress=None):
        self.calls += len(documents)
        self.batches += 1
        if progress is not None:
            progress(len(documents), len(documents))
        return [
            [
                np.array([[float(t[:1].isupper()), float(i)] for i, t in enumerate(tokens)], np.float32).reshape(-1, 2)
                for tokens in sentences
            ]
            for sentences in documents
        ]


@pytest.fixture
def contextual_model(tiny_config, tiny_documents):
    config = dataclasses.replace(tiny_config, contextual_dim=2)
    model = JointModel(config, build_vocabs(tiny_documents, [], None)).eval()
    model._encoder = FakeEncoder()
    return model


def _contextual_features(model, documents):
    """Gold features of `documents` with the model's contextual vectors, as training builds them."""
    vectors = model.contextual_vectors([[sentence.tokens for sentence in d.sentences] for d in documents])
    return gold_features(documents, TokenIds(model.vocabs["words"], model.vocabs["chars"]), None, vectors)


def test_encoder_reads_the_contextual_vectors(contextual_model, tiny_documents):
    features = _contextual_features(contextual_model, tiny_documents[:1])
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
    from jointel.model.inputs import KBAccess

    documents = tiny_kb.corpus["testa"]
    fake = contextual_model._encoder
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


def test_fast_models_have_no_contextual_vectors(tiny_config, tiny_documents):
    model = JointModel(tiny_config, build_vocabs(tiny_documents, [], None))
    assert model.contextual_vectors([[["Paris"], ["won", "."]]]) == [[None, None]]
    assert model._encoder is None  # MiniLM was never loaded


def test_a_cache_directory_serves_the_next_run(contextual_model, tiny_kb, tiny_config, tmp_path):
    from jointel.kb import KB
    from jointel.model.inputs import KBAccess

    documents = tiny_kb.corpus["testa"]
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30)
        with contextual_model.remembering_contextual(tmp_path):
            first = predict_documents(contextual_model, documents, access)
        assert contextual_model._encoder.calls == len(documents)
        assert len(list(tmp_path.glob("*.npy"))) == len(documents)
        other = JointModel(contextual_model.config, contextual_model.vocabs).eval()
        other.load_state_dict(contextual_model.state_dict())
        other._encoder = FakeEncoder()
        with other.remembering_contextual(tmp_path):
            again = predict_documents(other, documents, access)
        assert other._encoder.calls == 0  # every document came from the files
    assert again == first


def test_documents_not_yet_known_are_computed_together(contextual_model):
    one, two = [["Ann", "met", "Bob"]], [["Cork", "won"], ["Rain", "."]]
    fake = contextual_model._encoder
    with contextual_model.remembering_contextual():
        vectors = contextual_model.contextual_vectors([one, two, one])
        assert (fake.batches, fake.calls) == (1, 2)  # one MiniLM call for both, the repeated document once
        contextual_model.contextual_vectors([two, [["New"]]])
        assert (fake.batches, fake.calls) == (2, 3)
    assert [v.tolist() for v in vectors[1]] == [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]
    assert all(np.array_equal(a, b) for a, b in zip(vectors[0], vectors[2], strict=True))


def test_the_cache_misses_on_other_tokens_other_encoders_and_unreadable_files(tmp_path):
    from jointel.model.contextual import ContextualCache

    cache = ContextualCache(tmp_path, "encoder A")
    sentences = [["EU", "rejects"], [], ["Peter"]]
    vectors = [np.ones((2, 3), np.float32), np.zeros((0, 3), np.float32), np.full((1, 3), 2.0, np.float32)]
    assert cache.get(sentences) is None
    cache.put(sentences, vectors)
    got = cache.get(sentences)
    assert [v.tolist() for v in got] == [v.tolist() for v in vectors]
    assert cache.get([["EU", "accepts"], [], ["Peter"]]) is None
    assert ContextualCache(tmp_path, "encoder B").get(sentences) is None
    cache.path(sentences).write_bytes(b"half a file")
    assert cache.get(sentences) is None  # a miss, computed and written again
    cache.put(sentences, vectors)
    assert cache.get(sentences) is not None
    assert not list(tmp_path.glob("*.tmp"))


def test_loading_minilm_leaves_the_random_stream_alone(tiny_config, tiny_documents, monkeypatch):
    import jointel.model.contextual as contextual

    class RandomInitEncoder(FakeEncoder):
        def __init__(self, **settings):
            super().__init__()
            torch.rand(10)  # as a model's weight initialisation does before the weights are loaded

    monkeypatch.setattr(contextual, "ContextualEncoder", RandomInitEncoder)
    config = dataclasses.replace(tiny_config, contextual_dim=contextual.CONTEXTUAL_DIM)
    model = JointModel(config, build_vocabs(tiny_documents, [], None))
    torch.manual_seed(0)
    model._minilm()
    assert isinstance(model._encoder, RandomInitEncoder)
    after = torch.rand(1)
    torch.manual_seed(0)
    assert torch.equal(after, torch.rand(1))


def test_a_model_mixing_all_layers_reads_them_stacked(contextual_model, tiny_documents):
    mixing = JointModel(dataclasses.replace(contextual_model.config, contextual_layers="all"), contextual_model.vocabs)
    missing, unexpected = mixing.load_state_dict(contextual_model.state_dict(), strict=False)
    assert sorted(missing) == ["encoder.layer_mix.scale", "encoder.layer_mix.weights"] and not unexpected
    features = _contextual_features(contextual_model, tiny_documents[:1])
    batch = contextual_model.batch(features, with_candidates=False)
    with torch.no_grad():
        mean_of_last_four = contextual_model.eval().encoder(batch)
        batch.contextual = batch.contextual.repeat(1, 1, 7)  # seven equal layers: their starting mix is that layer
        mixed = mixing.eval().encoder(batch)
    assert torch.allclose(mixed, mean_of_last_four, atol=1e-6)
    with pytest.raises(ConfigError, match="contextual_layers must be one of last4, all, not 'first'"):
        dataclasses.replace(contextual_model.config, contextual_layers="first")


def test_a_contextual_width_other_than_minilms_is_refused_before_loading_it(tiny_config, tiny_documents):
    model = JointModel(dataclasses.replace(tiny_config, contextual_dim=128), build_vocabs(tiny_documents, [], None))
    expected = r"contextual_dim is MiniLM's width, 384 \(or 0 for no contextual vectors\), not 128"
    with pytest.raises(ConfigError, match=expected):
        model.contextual_vectors([[["Paris"]]])
