import shutil

import pytest

from jointel.data import Span, build_corpus, corpus_statistics, load_corpus


def test_build_corpus_merges_links_onto_conll_spans(tiny_data_dir):
    corpus = build_corpus(tiny_data_dir)
    assert [document.id for document in corpus["train"]] == ["1 EU", "2 GOLF"]
    first = corpus["train"][0].sentences[0]
    assert first.spans == (Span(0, 1, "ORG", None), Span(2, 3, "MISC", "Germany"))
    assert corpus["testa"][0].sentences[0].spans[1] == Span(2, 3, "LOC", "Argentina_national_football_team")
    assert corpus["testb"][0].split == "testb"


def test_build_corpus_pieces_of_a_sentence_split_mention_inherit_its_link(tiny_data_dir):
    corpus = build_corpus(tiny_data_dir)
    phil, mickelson = corpus["train"][1].sentences[:2]
    assert phil.spans == (Span(0, 1, "PER", "Phil_Mickelson"),)
    assert mickelson.spans[0] == Span(0, 1, "PER", "Phil_Mickelson")
    report = corpus.reports["train"]
    assert (report.aida_mentions, report.aida_linked, report.aida_nil) == (5, 3, 2)
    assert report.aida_mentions_split_by_sentence_break == 1
    assert report.is_clean


def test_build_corpus_counts_token_mismatches(tiny_data_dir, tmp_path):
    shutil.copytree(tiny_data_dir, tmp_path / "data")
    conll = tmp_path / "data" / "conll2003" / "eng.testa"
    conll.write_text(conll.read_text().replace("Argentina NNP", "Brazil NNP"))
    corpus = build_corpus(tmp_path / "data")
    report = corpus.reports["testa"]
    assert report.token_mismatches == 1
    assert report.document_mismatches == ["3testa SOCCER: 1 tokens differ between CoNLL and AIDA"]
    assert not report.is_clean


def test_build_corpus_unmatched_spans_are_counted_not_dropped(tiny_data_dir, tmp_path):
    shutil.copytree(tiny_data_dir, tmp_path / "data")
    conll = tmp_path / "data" / "conll2003" / "eng.testa"
    conll.write_text(conll.read_text().replace("beat VBD I-VP O", "beat VBD I-VP I-MISC"))
    corpus = build_corpus(tmp_path / "data")
    spans = corpus["testa"][0].sentences[0].spans
    assert Span(1, 2, "MISC", None, is_annotated=False) in spans
    assert corpus.reports["testa"].conll_spans_without_aida_mention == 1


def test_load_corpus_cache_is_rebuilt_when_a_source_changes(tiny_data_dir, tmp_path):
    shutil.copytree(tiny_data_dir, tmp_path / "data")
    cache = tmp_path / "cache"
    first = load_corpus(tmp_path / "data", cache)
    assert load_corpus(tmp_path / "data", cache) == first
    conll = tmp_path / "data" / "conll2003" / "eng.testb"
    conll.write_text(conll.read_text().replace("visited VBD I-VP O", "visited VBD I-VP I-MISC"))
    changed = load_corpus(tmp_path / "data", cache)
    assert changed["testb"] != first["testb"]
    assert len(list(cache.glob("corpus-*.pkl"))) == 1  # the stale copy is removed


def test_load_corpus_missing_data_dir_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"does not exist .*JOINTEL_DATA"):
        load_corpus(tmp_path / "nowhere")


def test_load_corpus_missing_file_is_named(tiny_data_dir, tmp_path):
    shutil.copytree(tiny_data_dir, tmp_path / "data")
    (tmp_path / "data" / "aida" / "AIDA-YAGO2-dataset.tsv").unlink()
    with pytest.raises(FileNotFoundError, match=r"AIDA-YAGO2-dataset\.tsv: missing corpus file"):
        load_corpus(tmp_path / "data")


@pytest.mark.data
def test_corpus_statistics_match_provenance(real_data_dir):
    statistics = corpus_statistics(build_corpus(real_data_dir))
    expected = {  # shared/data/PROVENANCE.md
        "train": (946, 14041, 203621, 23499, 6600, 7140, 6321, 3438, 23396, 18541, 4855, 103),
        "testa": (216, 3250, 51362, 5942, 1842, 1837, 1341, 922, 5917, 4791, 1126, 25),
        "testb": (231, 3453, 46435, 5648, 1617, 1668, 1661, 702, 5616, 4485, 1131, 32),
    }
    keys = ("documents", "sentences", "tokens", "entities", "PER", "LOC", "ORG", "MISC")
    keys += ("aida_mentions", "aida_linked", "aida_nil", "conll_entities_beyond_aida")
    for split, numbers in expected.items():
        assert tuple(statistics[split][key] for key in keys) == numbers
        assert statistics[split]["token_mismatches"] == 0
        assert statistics[split]["unannotated_spans"] == 0
