import dataclasses

import pytest
import torch

from jointel.data.documents import Sentence
from jointel.model import ontonotes
from jointel.model.inputs import decoding_features
from jointel.model.joint import JointModel
from jointel.model.ontonotes import OUTSIDE, OntoNotesTagger, code

spacy = pytest.importorskip("spacy")


def _tagger() -> OntoNotesTagger:
    """spaCy's NER as a rule: "Paris" is a GPE, "Red Cross" an ORG (a blank pipeline, so no package is needed)."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "GPE", "pattern": "Paris"}, {"label": "ORG", "pattern": "Red Cross"}])
    return OntoNotesTagger(nlp)


def test_tags_are_bio_codes_of_the_tokens_as_given():
    codes = _tagger().codes([("The", "Red", "Cross", "left", "Paris"), (), ("Paris",)])
    assert codes == [
        (OUTSIDE, code("ORG", True), code("ORG", False), OUTSIDE, code("GPE", True)),
        (),
        (code("GPE", True),),
    ]
    assert len({code(label, begins) for label in ontonotes.LABELS for begins in (True, False)}) == 36


def test_a_model_reads_the_tags(tiny_config, tiny_vocabs):
    model = JointModel(dataclasses.replace(tiny_config, ontonotes_dim=4), tiny_vocabs).eval()
    model.tagger = _tagger()
    sentence = Sentence(("Red", "Cross", "in", "Paris"))
    [features] = decoding_features([[sentence]], model.token_ids(), None)
    assert features.ontonotes == (code("ORG", True), code("ORG", False), OUTSIDE, code("GPE", True))
    untagged = dataclasses.replace(features, ontonotes=(OUTSIDE,) * 4)
    assert not torch.allclose(
        model.encoder(model.batch([features], False)), model.encoder(model.batch([untagged], False))
    )


def test_a_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setattr(ontonotes, "PACKAGE", "no_such_spacy_package")
    with pytest.raises(ImportError, match=r"jointel\[ontonotes\]"):
        OntoNotesTagger().codes([("Paris",)])
