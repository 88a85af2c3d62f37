import pytest

from jointel.data import DataFormatError, Span, read_aida, title_of_url


def test_read_aida_reads_links_and_nil(tiny_data_dir):
    documents = read_aida(tiny_data_dir / "aida" / "AIDA-YAGO2-dataset.tsv")
    assert [document.id for document in documents] == ["1 EU", "2 GOLF", "3testa SOCCER", "4testb PEOPLE"]
    first = documents[0].sentences
    assert first[0].spans == (Span(0, 1, "", None), Span(2, 3, "", "Germany"))
    assert first[1].spans == (Span(0, 2, "", None),)
    # "Paris Saint Germain" in 4testb: two adjacent mentions, the second starts with B.
    assert documents[3].sentences[0].spans[-2:] == (Span(3, 4, "", "Paris"), Span(4, 6, "", "Paris_Saint-Germain_F.C."))


def test_title_of_url_unquotes_and_keeps_unicode():
    assert title_of_url("http://en.wikipedia.org/wiki/Alain_Juppé") == "Alain_Juppé"
    assert title_of_url("http://en.wikipedia.org/wiki/Caf%C3%A9") == "Café"


def test_read_aida_link_without_url_names_line(tmp_path):
    path = tmp_path / "aida.tsv"
    path.write_text("-DOCSTART- (1 EU)\nEU\tB\tEU\tEuropean_Union\n")
    with pytest.raises(DataFormatError, match=r"aida.tsv:2: expected 4 columns ending in --NME--"):
        read_aida(path)


def test_read_aida_bad_bi_column_names_line(tmp_path):
    path = tmp_path / "aida.tsv"
    path.write_text("-DOCSTART- (1 EU)\nEU\tX\tEU\t--NME--\n")
    with pytest.raises(DataFormatError, match=r"aida.tsv:2: second column must be B or I, got 'X'"):
        read_aida(path)


def test_read_aida_token_before_docstart_names_line(tmp_path):
    path = tmp_path / "aida.tsv"
    path.write_text("EU\n")
    with pytest.raises(DataFormatError, match=r"aida.tsv:1: token before the first '-DOCSTART-"):
        read_aida(path)
