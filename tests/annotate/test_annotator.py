import gc
import inspect
import re
import shutil
import tracemalloc
from pathlib import Path

import pytest

import jointel
from jointel.annotate import Mention, annotator, bundled
from jointel.annotate.bundled import bundled_model, model_directory
from jointel.data import Span
from jointel.model.joint import Prediction

GERMANY = "Germany beat Argentina in Rio de Janeiro."
WIKI = "https://en.wikipedia.org/wiki/"


@pytest.fixture
def tiny_annotator(tiny_model_dir):
    with jointel.load(tiny_model_dir) as loaded:
        yield loaded


def test_load_freezes_the_loaded_model_out_of_full_collections(tiny_model_dir):
    """Full collections during annotation do not scan the loaded model again (see `load`)."""
    gc.unfreeze()
    with jointel.load(tiny_model_dir) as loaded:
        assert gc.get_freeze_count() > 0
        assert all(tracked is not loaded.model for tracked in gc.get_objects())
    gc.unfreeze()


def _short(mentions: list[Mention]) -> list[tuple]:
    return [(m.start, m.end, m.text, m.label, m.entity) for m in mentions]


def test_annotate_finds_types_and_links_with_offsets(tiny_annotator):
    """The tiny model fits the fixture story: Argentina's gold entity (the football team) is no candidate → NIL."""
    mentions = tiny_annotator.annotate(GERMANY)
    assert _short(mentions) == [
        (0, 7, "Germany", "LOC", "Germany"),
        (13, 22, "Argentina", "LOC", None),
        (26, 40, "Rio de Janeiro", "LOC", "Rio_de_Janeiro"),
    ]
    assert [m.url for m in mentions] == [WIKI + "Germany", None, WIKI + "Rio_de_Janeiro"]
    assert [m.is_nil for m in mentions] == [False, True, False]
    assert all(0.5 < m.ner_score <= 1 and 0 <= m.el_score <= 1 for m in mentions)
    assert all(m.candidates == () for m in mentions)


def test_annotate_empty_or_blank_text_is_empty(tiny_annotator):
    assert tiny_annotator.annotate("") == []
    assert tiny_annotator.annotate(" \n\n\t ") == []


def test_annotate_top_k_candidates_best_first(tiny_annotator):
    paris = tiny_annotator.annotate("Phil Mickelson won in Paris.", top_k=2)[1]
    assert (paris.text, paris.entity) == ("Paris", "Paris")
    assert len(paris.candidates) == 2 and paris.candidates[0][0] == "Paris"
    assert paris.candidates[0][1] >= paris.candidates[1][1]


def test_annotate_nil_threshold_makes_unsure_links_nil(tiny_annotator):
    assert [m.entity for m in tiny_annotator.annotate(GERMANY, nil_threshold=0.0)] == [
        "Germany",
        None,
        "Rio_de_Janeiro",
    ]
    above_every_probability = tiny_annotator.annotate(GERMANY, nil_threshold=1.01)
    assert [(m.entity, m.url) for m in above_every_probability] == [(None, None)] * 3


def test_mention_nil_threshold_keeps_a_link_at_the_threshold():
    prediction = Prediction(Span(0, 1, "LOC", "Paris"), 0.9, 0.6)
    assert annotator._mention("Paris", 0, 5, prediction, None, 0.6, 0).entity == "Paris"
    assert annotator._mention("Paris", 0, 5, prediction, None, 0.61, 0).entity is None


def test_annotate_many_streams_the_same_mentions_as_annotate(tiny_annotator):
    texts = [GERMANY, "", "Paris Hilton visited Paris.", "EU rejects German call.\n\nPeter Blackburn"]
    stream = tiny_annotator.annotate_many(iter(texts), batch_size=2)
    assert inspect.isgenerator(stream)
    assert list(stream) == [tiny_annotator.annotate(text) for text in texts]


def test_annotate_many_decodes_the_longest_sentences_together(tiny_annotator, monkeypatch):
    """A call takes as many decoding steps as its longest sentence needs: of the documents read ahead, those with
    the longest sentences share a call, and the mentions still come back in text order."""
    lists = [", ".join(["Germany", "France", "Paris Hilton"] * 10) + " .", ", ".join(["Argentina", "Rio"] * 12)]
    texts = [lists[0], GERMANY, lists[1], "Paris Hilton visited Paris."]
    longest_per_call = []
    predict = annotator.predict

    def recording_predict(model, documents, access):
        longest_per_call.append(max(len(sentence.tokens) for _, sentences in documents for sentence in sentences))
        return predict(model, documents, access)

    expected = [tiny_annotator.annotate(text) for text in texts]
    monkeypatch.setattr(annotator, "predict", recording_predict)
    streamed = list(tiny_annotator.annotate_many(texts, batch_size=2))
    assert [_short(mentions) for mentions in streamed] == [_short(mentions) for mentions in expected]
    scores = [score for mentions in expected for m in mentions for score in (m.ner_score, m.el_score)]
    assert [score for mentions in streamed for m in mentions for score in (m.ner_score, m.el_score)] == pytest.approx(
        scores, abs=1e-6
    )
    assert longest_per_call == [8, 70]  # the two short texts (8 and 5 tokens), then the two lists (70 and 47)
    assert [m.text for m in expected[0][:4]] == ["Germany", "France", "Paris Hilton", "Germany"]


def test_annotate_long_text_is_chunked_into_documents(tiny_model_dir):
    text = "Germany beat Argentina in Rio de Janeiro. Paris Hilton visited Paris.\n\n" * 300
    with jointel.load(tiny_model_dir, document_tokens=40) as small_documents:
        mentions = small_documents.annotate(text)
    assert len(mentions) == 300 * 5
    assert all(text[m.start : m.end] == m.text for m in mentions)
    assert _short(mentions[-5:-3]) == [
        (len(text) - 71, len(text) - 64, "Germany", "LOC", "Germany"),
        (len(text) - 58, len(text) - 49, "Argentina", "LOC", None),
    ]


def test_annotate_one_megabyte_in_bounded_batches(tiny_annotator, monkeypatch):
    """1 MB streams through: no model call sees more than batch_size documents of document_tokens tokens."""
    calls = []

    def fake_predict(model, documents, access):
        calls.append(sum(len(sentence.tokens) for _, sentences in documents for sentence in sentences))
        return [[[] for _ in sentences] for _, sentences in documents]

    monkeypatch.setattr(annotator, "predict", fake_predict)
    text = "The mayor of Paris met officials from the U.S. on Jan. 5, 1996, and said it's fine.\n" * 12_500
    assert len(text) > 1_000_000
    assert tiny_annotator.annotate_many([text], batch_size=8).__next__() == []
    assert sum(calls) == 12_500 * 21
    assert max(calls) <= 8 * tiny_annotator.document_tokens


@pytest.mark.slow
def test_annotate_one_megabyte_with_the_model_in_bounded_memory(tiny_annotator):
    text = "Germany beat Argentina in Rio de Janeiro. Paris Hilton visited Paris.\n" * 14_300
    tracemalloc.start()
    mentions = tiny_annotator.annotate(text)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(text) > 1_000_000 and len(mentions) == 14_300 * 5
    assert peak < 150_000_000


def test_annotate_tokens_offsets_refer_to_the_joined_tokens(tiny_annotator):
    sentences = [["Germany", "beat", "Argentina", "in", "Rio", "de", "Janeiro", "."], ["Paris", "Hilton"]]
    mentions = tiny_annotator.annotate_tokens(sentences)
    joined = "Germany beat Argentina in Rio de Janeiro . Paris Hilton"
    assert [(m.start, m.end, m.text) for m in mentions] == [
        (0, 7, "Germany"),
        (13, 22, "Argentina"),
        (26, 40, "Rio de Janeiro"),
        (43, 55, "Paris Hilton"),
    ]
    assert all(joined[m.start : m.end] == m.text for m in mentions)
    with pytest.raises(ValueError, match="empty or blank token"):
        tiny_annotator.annotate_tokens([["Paris", ""]])


def test_link_links_the_given_spans_in_order_even_overlapping(tiny_annotator):
    text = "Paris Hilton visited Paris. She met Germany."
    mentions = tiny_annotator.link(text, [(21, 26), (0, 12), (0, 5), (36, 43)])
    assert _short(mentions) == [
        (21, 26, "Paris", "LOC", "Paris"),
        (0, 12, "Paris Hilton", "PER", "Paris_Hilton"),
        (0, 5, "Paris", "LOC", "Paris"),  # not a mention the NER finds: typed from its KB candidate (GPE)
        (36, 43, "Germany", "LOC", "Germany"),
    ]
    assert mentions[1].ner_score > 0.5 and mentions[2].ner_score == 0.0


def test_issue_21_link_runs_the_encoder_once_over_the_text(tiny_annotator, monkeypatch):
    """The free decode (labels, NER scores) and the teacher-forced links of the given spans, the overlapping one's
    layer too, read one encoding: every token goes through the encoder once (re-encoding the document for the
    links read 9 tokens, then 18: the document once for each layer of spans)."""
    encoder = tiny_annotator.model.encoder
    forward = encoder.forward
    read = []

    def counting(batch):
        read.append(int(batch.lengths.sum()))
        return forward(batch)

    monkeypatch.setattr(encoder, "forward", counting)
    text = "Paris Hilton visited Paris. She met Germany."  # 5 + 4 tokens
    mentions = tiny_annotator.link(text, [(21, 26), (0, 12), (0, 5), (36, 43)])
    assert [m.entity for m in mentions] == ["Paris", "Paris_Hilton", "Paris", "Germany"]
    assert read == [9]


def test_link_span_across_a_sentence_break_and_inside_a_token(tiny_annotator):
    text = "He went to Rio. De Janeiro is far. Germany's coach"
    mentions = tiny_annotator.link(text, [(11, 26), (35, 42)])
    assert [(m.text, m.entity) for m in mentions] == [("Rio. De Janeiro", "Rio_de_Janeiro"), ("Germany", "Germany")]


def test_link_in_a_long_text_cut_into_documents(tiny_model_dir):
    text = "Paris Hilton visited Paris. " * 20
    people = [(28 * i, 28 * i + 12) for i in range(20)]
    places = [(28 * i + 21, 28 * i + 26) for i in range(20)]
    with jointel.load(tiny_model_dir, document_tokens=12) as small_documents:
        mentions = small_documents.link(text, [*people, *places, (0, 5)])
    assert [m.entity for m in mentions] == ["Paris_Hilton"] * 20 + ["Paris"] * 21
    assert [(m.start, m.end) for m in mentions] == [*people, *places, (0, 5)]


def test_link_rejects_spans_outside_the_text_or_without_tokens(tiny_annotator):
    with pytest.raises(ValueError, match=r"span \(3, 99\) is not inside the text of 5 characters"):
        tiny_annotator.link("Paris", [(3, 99)])
    with pytest.raises(ValueError, match="covers no token"):
        tiny_annotator.link("Paris  Hilton", [(5, 7)])
    assert tiny_annotator.link("Paris", []) == []


def test_load_missing_model_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"{tmp_path / 'nowhere'}: no such model directory")):
        jointel.load(tmp_path / "nowhere")


def test_load_model_without_kb_says_how_to_pass_one(tiny_model_dir, tmp_path):
    for name in ("config.json", "vocabs.json", "weights.pt"):
        (tmp_path / name).write_bytes((tiny_model_dir / name).read_bytes())
    with pytest.raises(FileNotFoundError, match=r"no kb\.sqlite in the model directory"):
        jointel.load(tmp_path)
    with jointel.load(tmp_path, kb=tiny_model_dir / "kb.sqlite") as loaded:
        assert _short(loaded.annotate("Paris Hilton")) == [(0, 12, "Paris Hilton", "PER", "Paris_Hilton")]


def test_load_without_bundled_model_says_how_to_pass_one(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled, "MODELS", tmp_path / "models")
    with pytest.raises(FileNotFoundError, match="the bundled model 'default' is not installed"):
        jointel.load()
    with pytest.raises(FileNotFoundError, match="the bundled model 'accurate' is not installed"):
        jointel.load("accurate")


def test_a_model_is_a_directory_or_a_bundled_name(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled, "MODELS", tmp_path / "models")
    for name in ("default", "accurate"):
        (tmp_path / "models" / name).mkdir(parents=True)
    assert model_directory(None) == tmp_path / "models" / "default" == bundled_model()
    assert model_directory("accurate") == tmp_path / "models" / "accurate"
    assert model_directory(tmp_path / "mine") == tmp_path / "mine"  # a path is a path, even a missing one
    monkeypatch.chdir(tmp_path)
    (tmp_path / "accurate").mkdir()
    assert model_directory("accurate") == Path("accurate")  # a directory of that name here wins, as it always did


def test_load_uses_the_wikipedia_kb_once_built_else_the_models_own(tiny_model_dir, tiny_kb, tmp_path, monkeypatch):
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path))
    with jointel.load(tiny_model_dir) as annotator:
        assert annotator.kb.path == tiny_model_dir / "kb.sqlite"
    shutil.copy(tiny_kb.path, tmp_path / "kb-wikipedia.sqlite")
    with jointel.load(tiny_model_dir) as annotator:
        assert annotator.kb.path == tmp_path / "kb-wikipedia.sqlite"
    with jointel.load(tiny_model_dir, kb=tiny_kb.path) as annotator:
        assert annotator.kb.path == tiny_kb.path
