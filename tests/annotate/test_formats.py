import pytest

from jointel.annotate import Mention
from jointel.annotate.formats import conll_record, count_texts, html_record, input_files, read_texts
from jointel.data import DataFormatError

PARIS = Mention(0, 12, "Paris Hilton", "PER", "Paris_Hilton", "https://en.wikipedia.org/wiki/Paris_Hilton", 0.9, 0.8)
NIL = Mention(21, 26, "Paris", "LOC", None, None, 0.9, 0.7)


def test_read_texts_jsonl_ids_default_to_file_and_line_and_bom_is_dropped(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes('\ufeff{"id": "a", "text": "Paris"}\n\n{"text": "Rio"}\n'.encode())
    assert count_texts([path]) == 2
    assert list(read_texts([path])) == [("a", "Paris"), (f"{path}:3", "Rio")]


def test_issue_20_13_read_texts_replaces_lone_surrogates_one_for_one_and_keeps_pairs(tmp_path):
    """JSON's "\\ud800" alone decodes to a str that no UTF-8 writer takes; an escaped pair is one character."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"id": "x\\udc00", "text": "Ab\\ud800cd \\ud83d\\ude00 Smith said."}\n')
    [(document_id, text)] = read_texts([path])
    assert (document_id, text) == ("x\ufffd", "Ab\ufffdcd \U0001f600 Smith said.")
    assert text.index("Smith") == 8  # as in the input: 6 characters, the emoji, a space


def test_read_texts_non_utf8_jsonl_line_names_line_and_file_offset(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"text": "Paris"}\n{"text": "M\xfcnchen"}\n')
    with pytest.raises(DataFormatError, match=r"in\.jsonl:2: invalid UTF-8 byte 0xfc at byte offset 29"):
        list(read_texts([path]))


def test_read_texts_bad_json_names_the_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "Paris"}\n{"text": \n')
    with pytest.raises(DataFormatError, match=r"in\.jsonl:2: not valid JSON"):
        list(read_texts([path]))


def test_input_files_expands_directories_to_sorted_txt_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.md"):
        (tmp_path / name).write_text("x")
    assert input_files([tmp_path]) == [tmp_path / "a.txt", tmp_path / "b.txt"]


def test_conll_record_tags_tokens_bio_with_entities():
    text = "Paris Hilton visited Paris."
    assert conll_record("d1", text, [PARIS, NIL]).splitlines() == [
        "-DOCSTART- d1",
        "Paris\tB-PER\tParis_Hilton",
        "Hilton\tI-PER\tParis_Hilton",
        "visited\tO",
        "Paris\tB-LOC\t--NME--",
        ".\tO",
        "",
    ]


def test_html_record_escapes_text_links_entities_and_dashes_nil():
    section = html_record("<d1>", "Paris Hilton visited Paris & co", [PARIS, NIL])
    assert section.startswith("<section><h2>&lt;d1&gt;</h2><p>")
    assert (
        '<a class="mention PER" href="https://en.wikipedia.org/wiki/Paris_Hilton" '
        'title="PER · Paris Hilton · NER 0.90 · link 0.80">Paris Hilton<sub>PER</sub></a> visited ' in section
    )
    assert (
        '<span class="mention LOC nil" title="LOC · NIL (not in the knowledge base) · NER 0.90 · link 0.70">' in section
    )
    assert section.endswith(" &amp; co</p></section>\n")
