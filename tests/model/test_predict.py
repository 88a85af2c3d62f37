import dataclasses
import itertools

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from jointel.data.documents import Document, Sentence, Span
from jointel.kb import KB
from jointel.model.ensemble import Ensemble
from jointel.model.inputs import KBAccess
from jointel.model.joint import JointModel
from jointel.model.predict import _layers, encode, link_encoded, link_given_spans


def _model(config, vocabs, seed):
    torch.manual_seed(seed)
    return JointModel(dataclasses.replace(config, seed=seed), vocabs).eval()


@pytest.fixture
def setting(tiny_kb, tiny_config, tiny_vocabs):
    documents = [document for split in ("train", "testa", "testb") for document in tiny_kb.corpus[split]]
    return documents, dataclasses.replace(tiny_config, candidate_protocol="ppr"), tiny_vocabs


def _same_links(linked, expected):
    """The same entities, scores and candidate probabilities to 1e-5 (the encoder read other batches)."""
    assert [p.span for p in linked] == [p.span for p in expected]
    for prediction, other in zip(linked, expected, strict=True):
        assert prediction.el_score == pytest.approx(other.el_score, abs=1e-5)
        assert [entity for entity, _ in prediction.candidates] == [entity for entity, _ in other.candidates]


@pytest.mark.parametrize("members", [1, 2])
def test_link_encoded_links_the_spans_as_link_given_spans(setting, tiny_kb, members):
    """From the encoding the decoder reads, a single model or an ensemble links gold spans as when it encodes them
    for linking alone."""
    documents, config, vocabs = setting
    models = [_model(config, vocabs, seed) for seed in range(1, members + 1)]
    model = models[0] if members == 1 else Ensemble(models)
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "ppr", config)
        encoded = encode(model, [(d.number, d.sentences) for d in documents], access)
        spans = [list(sentence.spans) for document in documents for sentence in document.sentences]
        linked = link_encoded(model, encoded, spans, access)
        expected = link_given_spans(model, documents, access)
    assert sum(map(len, linked)) > 10
    _same_links([p for row in linked for p in row], [p for document in expected for row in document for p in row])


def test_link_encoded_links_overlapping_spans_layer_by_layer(setting, tiny_kb):
    """Spans (0, 2), (0, 1), (1, 2): (0, 1) and (1, 2) are linked together, (0, 2) alone; answers in given order.
    The person "Hilton" is then read as the person "Paris Hilton" (`coreference`)."""
    _, config, vocabs = setting
    model = _model(config, vocabs, 1)
    tokens = ("Paris", "Hilton", "visited", "Paris", ".")
    whole, first, second = Span(0, 2, "PER"), Span(0, 1, "LOC"), Span(1, 2, "PER")
    with KB(tiny_kb.path) as kb:
        access = KBAccess.for_model(kb, "ppr", config)
        encoded = encode(model, [(0, [Sentence(tokens)])], access)
        (linked,) = link_encoded(model, encoded, [[whole, first, second]], access)
        (([alone],),) = link_given_spans(model, [Document("", "", (Sentence(tokens, (whole,)),))], access)
        ((together,),) = link_given_spans(model, [Document("", "", (Sentence(tokens, (first, second)),))], access)
    assert alone.candidates
    read_as_whole = dataclasses.replace(alone, span=dataclasses.replace(second, entity=alone.span.entity))
    _same_links(linked, [alone, together[0], read_as_whole])


@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 4)), max_size=12))
def test_layers_hold_no_overlap_and_are_as_few_as_the_deepest_overlap(bounds):
    """Greedy interval partitioning is optimal: as many layers as spans covering one token at most."""
    spans = [Span(start, start + width, "PER") for start, width in bounds]
    layers = _layers(spans)
    for a, b in itertools.combinations(range(len(spans)), 2):
        if layers[a] == layers[b]:
            assert spans[a].end <= spans[b].start or spans[b].end <= spans[a].start
    depth = max((sum(span.start <= token < span.end for span in spans) for token in range(16)), default=0)
    assert len(set(layers)) == depth
