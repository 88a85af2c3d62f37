"""Frozen contextual token vectors as model input, with a stand-in for MiniLM (the real encoder: test_contextual)."""

import dataclasses

import numpy as np
import pytest
import torch

from jointel.model.config import ConfigError, ModelConfig
from jointel.model.contextual import encoder_key
from jointel.model.contextual_source import ContextualCache, ContextualSource, contextual_vectors
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
    return JointModel(config, build_vocabs(tiny_documents, [], None), ContextualSource(encoder=FakeEncoder())).eval()


def _reading(model, source):
    """A model with the weights of `model`, reading its vectors from `source`."""
    other = JointModel(model.config, model.vocabs, source).eval()
    other.load_state_dict(model.state_dict())
    return other


def _contextual_features(model, documents):
    """Gold features of `documents` with the model's contextual vectors, as training builds them."""
    vectors = contextual_vectors(model.contextual, [[sentence.tokens for sentence in d.sentences] for d in documents])
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


def test_contextual_vectors_are_computed_once_per_document_by_a_remembering_source(contextual_model, tiny_kb):
    from jointel.kb import KB
    from jointel.model.inputs import KBAccess

    documents = tiny_kb.corpus["testa"]
    forgetting, remembering = FakeEncoder(), FakeEncoder()
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30)
        model = _reading(contextual_model, ContextualSource(encoder=forgetting))
        first = predict_documents(model, documents, access)
        predict_documents(model, documents, access)  # a source that keeps nothing computes again
        assert forgetting.calls == 2 * len(documents)
        model = _reading(contextual_model, ContextualSource(remember=True, encoder=remembering))
        predict_documents(model, documents, access)
        again = predict_documents(model, documents, access)
        assert remembering.calls == len(documents)
    assert again == first


def test_models_sharing_a_source_share_its_vectors_and_hold_no_cache(contextual_model, tiny_kb):
    """The cache belongs to the source: a second model reading the same source computes nothing again, and a
    model's state (what it saves) is its weights alone, whatever its source holds."""
    from jointel.kb import KB
    from jointel.model.inputs import KBAccess

    documents = tiny_kb.corpus["testa"]
    fake = FakeEncoder()
    shared = ContextualSource(remember=True, encoder=fake)
    first, second = _reading(contextual_model, shared), _reading(contextual_model, shared)
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30)
        assert predict_documents(first, documents, access) == predict_documents(second, documents, access)
    assert fake.calls == len(documents)
    assert first.state_dict().keys() == contextual_model.state_dict().keys()
    assert not {"_remembered", "_disk", "_encoder"} & set(vars(first))


def test_fast_models_have_no_contextual_vectors(tiny_config, tiny_documents):
    assert ContextualSource.for_config(tiny_config) is None  # MiniLM is never loaded
    model = JointModel(tiny_config, build_vocabs(tiny_documents, [], None))
    assert model.contextual is None
    assert contextual_vectors(model.contextual, [[["Paris"], ["won", "."]]]) == [[None, None]]


def test_a_cache_directory_serves_the_next_run(contextual_model, tiny_kb, tiny_config, tmp_path):
    from jointel.kb import KB
    from jointel.model.inputs import KBAccess

    documents = tiny_kb.corpus["testa"]
    with KB(tiny_kb.path) as kb:
        access = KBAccess.open(kb, "ppr", 30)
        this_run, next_run = FakeEncoder(), FakeEncoder()
        first = predict_documents(
            _reading(contextual_model, ContextualSource(cache_dir=tmp_path, encoder=this_run)), documents, access
        )
        assert this_run.calls == len(documents)
        assert len(list(tmp_path.glob("*.npy"))) == len(documents)
        again = predict_documents(
            _reading(contextual_model, ContextualSource(cache_dir=tmp_path, encoder=next_run)), documents, access
        )
        assert next_run.calls == 0  # every document came from the files
    assert again == first


def test_documents_not_yet_known_are_computed_together():
    one, two = [["Ann", "met", "Bob"]], [["Cork", "won"], ["Rain", "."]]
    fake = FakeEncoder()
    source = ContextualSource(remember=True, encoder=fake)
    vectors = source.vectors([one, two, one])
    assert (fake.batches, fake.calls) == (1, 2)  # one MiniLM call for both, the repeated document once
    source.vectors([two, [["New"]]])
    assert (fake.batches, fake.calls) == (2, 3)
    assert [v.tolist() for v in vectors[1]] == [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]
    assert all(np.array_equal(a, b) for a, b in zip(vectors[0], vectors[2], strict=True))


def test_the_cache_misses_on_other_tokens_other_encoders_and_unreadable_files(tmp_path):
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


def test_loading_minilm_leaves_the_random_stream_alone(tiny_config, monkeypatch):
    import jointel.model.contextual_source as contextual_source

    class RandomInitEncoder(FakeEncoder):
        def __init__(self, **settings):
            super().__init__()
            torch.rand(10)  # as a model's weight initialisation does before the weights are loaded

    monkeypatch.setattr(contextual_source, "ContextualEncoder", RandomInitEncoder)
    config = dataclasses.replace(tiny_config, contextual_dim=contextual_source.CONTEXTUAL_DIM)
    source = ContextualSource.for_config(config)
    torch.manual_seed(0)
    source.vectors([[["Paris"]]])
    assert isinstance(source._encoder, RandomInitEncoder)
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


def test_a_contextual_width_other_than_minilms_is_refused_before_loading_it(tiny_config):
    expected = r"contextual_dim is MiniLM's width, 384 \(or 0 for no contextual vectors\), not 128"
    with pytest.raises(ConfigError, match=expected):
        ContextualSource.for_config(dataclasses.replace(tiny_config, contextual_dim=128))


def test_the_minilm_depth_is_a_checked_setting_that_sizes_the_layer_mix_and_the_cache_key(tiny_config, tiny_vocabs):
    with pytest.raises(ConfigError, match="contextual_depth"):
        dataclasses.replace(tiny_config, contextual_dim=384, contextual_depth=0)
    with pytest.raises(ConfigError, match="contextual_tuned names tuned MiniLM layers: it needs contextual_dim 384"):
        dataclasses.replace(tiny_config, contextual_tuned="minilm.pt")
    with pytest.raises(ConfigError, match=r"contextual_read_share is a share of a window, in \(0, 1\], not 1.5"):
        dataclasses.replace(tiny_config, contextual_dim=384, contextual_read_share=1.5)
    config = dataclasses.replace(tiny_config, contextual_dim=384, contextual_layers="all", contextual_depth=3)
    assert JointModel(config, tiny_vocabs).encoder.layer_mix.weights.shape == (4,)
    assert encoder_key().endswith("wordpieces=256 layers=4 pieces_per_word=10")  # older caches stay valid
    assert encoder_key(depth=3, int8=True).endswith("pieces_per_word=10 depth=3 int8")
    assert encoder_key(read_share=1.0).endswith("pieces_per_word=10 read_share=1.0")


def test_a_model_saves_the_tuned_minilm_layers_it_reads_and_finds_them_beside_it(contextual_model, tmp_path):
    tuned = tmp_path / "runs" / "tuned-layers.pt"
    tuned.parent.mkdir()
    tuned.write_bytes(b"tuned layers")
    config = dataclasses.replace(contextual_model.config, contextual_tuned=str(tuned))
    model = JointModel(config, contextual_model.vocabs, ContextualSource(encoder=FakeEncoder(), tuned=tuned))
    model.save(tmp_path / "model")
    model.save(tmp_path / "model")  # again, as training does after a better epoch: the copy is replaced
    assert (tmp_path / "model" / "minilm.pt").read_bytes() == b"tuned layers"
    saved = ModelConfig.load(tmp_path / "model" / "config.json", saved_model=True)
    assert saved.contextual_tuned == "minilm.pt"  # the model directory can move: the name is relative to it
    assert config.contextual_tuned == str(tuned)  # the run's own config is left alone
    readable = dataclasses.replace(saved, contextual_dim=384)
    assert ContextualSource.for_config(readable, directory=tmp_path / "model").tuned == tmp_path / "model" / "minilm.pt"
    with pytest.raises(FileNotFoundError, match=r"minilm\.pt: the tuned MiniLM layers of contextual_tuned are missing"):
        ContextualSource.for_config(readable)  # a training config: a file of the working directory, not here
    assert ContextualSource.for_config(dataclasses.replace(readable, contextual_tuned="")).tuned is None
