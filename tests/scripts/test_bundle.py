"""scripts/bundle.py: what a bundle keeps of its model, loaded from its file as `make` runs it."""

import dataclasses
import importlib.util
import shutil
from pathlib import Path

import numpy as np
import torch

from jointel.model import (
    CLUSTERS_FILE,
    INT8,
    ContextualSource,
    JointModel,
    load_nil_bias,
    load_nil_threshold,
    save_nil_threshold,
)
from jointel.model.clusters import from_words

PATH = Path(__file__).parents[2] / "scripts" / "bundle.py"
SPEC = importlib.util.spec_from_file_location("bundle", PATH)
bundle = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bundle)


def _words(documents) -> set[str]:
    return {token.lower() for document in documents for sentence in document.sentences for token in sentence.tokens}


def test_a_model_trained_on_testa_too_keeps_the_words_it_learned_there(tiny_kb):
    corpus = tiny_kb.corpus
    testa_only = _words(corpus["testa"]) - _words(corpus["train"])
    assert testa_only  # the fixture has words only testa writes
    assert not testa_only & bundle.trained_words(corpus, with_dev=False)
    assert testa_only <= bundle.trained_words(corpus, with_dev=True)
    assert bundle.trained_words(corpus, with_dev=False) == _words(corpus["train"])


def test_a_bundle_takes_its_calibration_from_the_run_it_is_told(tiny_model_dir, tiny_kb, tmp_path):
    """A model trained on testa cannot be calibrated on it: the bundle takes the threshold and bias of a run of the
    same settings trained without it, not those of its own run."""
    own = tmp_path / "with-dev"
    shutil.copytree(tiny_model_dir, own)
    save_nil_threshold(own, 0.9, 2.0)
    dev_chosen = tmp_path / "dev-chosen"
    dev_chosen.mkdir()
    save_nil_threshold(dev_chosen, 0.25, 8.0)
    words = bundle.trained_words(tiny_kb.corpus, with_dev=True)

    bundle.bundle(own, tmp_path / "kept", tiny_kb.path, words, 10)
    bundle.bundle(own, tmp_path / "taken", tiny_kb.path, words, 10, calibration=dev_chosen)

    assert (load_nil_threshold(tmp_path / "kept"), load_nil_bias(tmp_path / "kept")) == (0.9, 2.0)
    assert (load_nil_threshold(tmp_path / "taken"), load_nil_bias(tmp_path / "taken")) == (0.25, 8.0)
    kept = JointModel.load(tmp_path / "taken").vocabs["words"]
    assert words <= set(kept.items)  # every word it trained on keeps its vector


def test_a_bundle_keeps_the_tuned_minilm_layers_its_model_reads(tiny_model_dir, tiny_kb, tmp_path):
    tiny = JointModel.load(tiny_model_dir)
    config = dataclasses.replace(tiny.config, contextual_dim=384, contextual_tuned=str(tmp_path / "tuned.pt"))
    (tmp_path / "tuned.pt").write_bytes(b"tuned layers")
    JointModel(config, tiny.vocabs, ContextualSource(tuned=tmp_path / "tuned.pt")).save(tmp_path / "run")

    bundle.bundle(tmp_path / "run", tmp_path / "bundle", tiny_kb.path, set(), 10)

    assert (tmp_path / "bundle" / "minilm.pt").read_bytes() == b"tuned layers"
    assert JointModel.load(tmp_path / "bundle").contextual.tuned == tmp_path / "bundle" / "minilm.pt"


def test_a_bundle_keeps_the_word_classes_its_model_reads_in_half_the_bytes(tiny_model_dir, tiny_kb, tmp_path):
    tiny = JointModel.load(tiny_model_dir)
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4) ** 1.5
    classes = from_words({"nuttall": 0, "germany": 1, "the": 2}, vectors, dim=2)
    JointModel(dataclasses.replace(tiny.config, cluster_dim=2), tiny.vocabs, clusters=classes).save(tmp_path / "run")

    bundle.bundle(tmp_path / "run", tmp_path / "bundle", tiny_kb.path, set(), 10)

    shipped = JointModel.load(tmp_path / "bundle").clusters
    assert [shipped.index(word) for word in ("Nuttall", "GERMANY", "the", "Zelensky")] == [2, 3, 4, 1]
    assert np.allclose(shipped.table(), classes.table(), atol=1e-2)
    assert (tmp_path / "bundle" / CLUSTERS_FILE).stat().st_size < (tmp_path / "run" / CLUSTERS_FILE).stat().st_size


def test_a_bundle_stores_word_vectors_in_8_bits_within_half_a_step(tiny_model_dir, tiny_kb, tmp_path):
    tiny = JointModel.load(tiny_model_dir)
    bundle.bundle(tiny_model_dir, tmp_path / "bundle", tiny_kb.path, set(), 10)

    saved = torch.load(tmp_path / "bundle" / "weights.pt")
    assert saved["encoder.words.weight" + INT8].dtype == torch.int8
    assert "encoder.words.weight" not in saved
    loaded = JointModel.load(tmp_path / "bundle")
    kept = loaded.vocabs["words"].items
    original = tiny.encoder.words.weight.detach()[[tiny.vocabs["words"].index(word) for word in kept]]
    step = original.abs().amax(dim=1, keepdim=True) / 127
    assert ((loaded.encoder.words.weight.detach() - original).abs() <= step / 2 + 1e-3 * step).all()
    assert loaded.linker.words is loaded.encoder.words  # still one shared table
