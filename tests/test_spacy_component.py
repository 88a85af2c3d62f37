import pytest

spacy = pytest.importorskip("spacy")

import jointel  # noqa: E402

GERMANY = "Germany beat Argentina in Rio de Janeiro."


@pytest.fixture
def nlp(tiny_model_dir):
    pipeline = spacy.blank("en")
    pipeline.add_pipe("jointel", config={"model": str(tiny_model_dir), "top_k": 2})
    return pipeline


def test_component_sets_ents_with_labels_and_kb_ids(nlp):
    doc = nlp(GERMANY)
    assert [(ent.text, ent.label_, ent.kb_id_) for ent in doc.ents] == [
        ("Germany", "LOC", "Germany"),
        ("Argentina", "LOC", "NIL"),
        ("Rio de Janeiro", "LOC", "Rio_de_Janeiro"),
    ]
    germany = doc.ents[0]
    assert germany._.jointel_url == "https://en.wikipedia.org/wiki/Germany"
    assert 0.5 < germany._.jointel_ner_score <= 1 and 0 <= germany._.jointel_el_score <= 1
    assert germany._.jointel_candidates[0][0] == "Germany"
    assert doc.ents[1]._.jointel_url is None


def test_component_snaps_mentions_to_spacy_tokens(nlp):
    """spaCy keeps "Germany's" whole where CoNLL splits off "'s": the entity expands to spaCy's token."""
    doc = nlp("Germany's coach visited Paris.")
    assert [(ent.text, ent.kb_id_) for ent in doc.ents][-1] == ("Paris", "Paris")


def test_pipe_batches_give_the_same_entities_as_calls(nlp):
    texts = [GERMANY, "", "Paris Hilton visited Paris.", "Phil Mickelson won in Paris."] * 3
    piped = [
        [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=5)
    ]
    single = [[(e.start_char, e.end_char, e.label_, e.kb_id_) for e in nlp(text).ents] for text in texts]
    assert piped == single
    assert piped[2] == [(0, 12, "PER", "Paris_Hilton"), (21, 26, "LOC", "Paris")]


def test_component_matches_the_api(nlp, tiny_model_dir):
    text = "Germany beat Argentina in Rio de Janeiro.\n\nParis Hilton visited Paris. EU rejects German call."
    with jointel.load(tiny_model_dir) as annotator:
        api = [(m.start, m.end, m.label, m.entity or "NIL", m.el_score) for m in annotator.annotate(text)]
    doc = nlp(text)
    assert [(e.start_char, e.end_char, e.label_, e.kb_id_, e._.jointel_el_score) for e in doc.ents] == api
