import json

from typer.testing import CliRunner

from jointel.cli.app import app

GERMANY = "Germany beat Argentina in Rio de Janeiro."
WIDE = {"COLUMNS": "200"}


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), env=WIDE)


def test_annotate_text_prints_a_table(tiny_model_dir):
    result = _invoke("annotate", GERMANY, "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in result.output.splitlines() if "│" in line]
    assert [row[:4] for row in rows] == [
        ["0–7", "Germany", "LOC", "Germany"],
        ["13–22", "Argentina", "LOC", "NIL"],
        ["26–40", "Rio de Janeiro", "LOC", "Rio_de_Janeiro"],
    ]


def test_annotate_inputs_txt_directory_and_jsonl_to_jsonl(tiny_model_dir, tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.txt").write_text(GERMANY)
    (tmp_path / "docs" / "sub" / "b.txt").write_text("Paris Hilton visited Paris.")
    (tmp_path / "docs" / "ignored.md").write_text("Germany")
    (tmp_path / "more.jsonl").write_text('{"id": "x1", "text": "Phil Mickelson won."}\n\n{"id": "x2", "text": ""}\n')
    out = tmp_path / "out.jsonl"
    args = ["annotate", "-i", str(tmp_path / "docs"), "-i", str(tmp_path / "more.jsonl"), "-o", str(out)]
    result = _invoke(*args, "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [record["id"] for record in records] == [
        str(tmp_path / "docs" / "a.txt"),
        str(tmp_path / "docs" / "sub" / "b.txt"),
        "x1",
        "x2",
    ]
    assert [[m["entity"] for m in record["mentions"]] for record in records] == [
        ["Germany", None, "Rio_de_Janeiro"],
        ["Paris_Hilton", "Paris"],
        ["Phil_Mickelson"],
        [],
    ]
    assert records[0]["mentions"][0] == {
        **records[0]["mentions"][0],
        "start": 0,
        "end": 7,
        "text": "Germany",
        "label": "LOC",
        "url": "https://en.wikipedia.org/wiki/Germany",
    }


def test_annotate_conll_format_is_tagged_tsv(tiny_model_dir, tmp_path):
    from jointel.data.tsv import read_tagged_tsv

    out = tmp_path / "out.tsv"
    result = _invoke("annotate", GERMANY, "--format", "conll", "-o", str(out), "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[:4] == [
        "-DOCSTART- text",
        "Germany\tB-LOC\tGermany",
        "beat\tO",
        "Argentina\tB-LOC\t--NME--",
    ]
    [document] = read_tagged_tsv(out, scheme="bio")
    assert [(s.start, s.end, s.entity) for s in document.sentences[0].spans] == [
        (0, 1, "Germany"),
        (2, 3, None),
        (4, 7, "Rio_de_Janeiro"),
    ]


def test_annotate_html_format_links_and_marks_nil(tiny_model_dir, tmp_path):
    (tmp_path / "a.txt").write_text(GERMANY + " <b>")
    out = tmp_path / "out.html"
    result = _invoke(
        "annotate", "-i", str(tmp_path / "a.txt"), "-f", "html", "-o", str(out), "--model", str(tiny_model_dir)
    )
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!doctype html>") and page.endswith("</html>\n")
    assert '<a class="mention LOC" href="https://en.wikipedia.org/wiki/Germany" title="LOC · Germany · NER' in page
    assert '<span class="mention LOC nil" title="LOC · NIL (not in the knowledge base)' in page
    assert "&lt;b&gt;" in page


def test_annotate_non_utf8_file_is_one_line_error_naming_file_and_offset(tiny_model_dir, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Paris\nMünchen".encode("latin-1"))
    result = _invoke("annotate", "-i", str(bad), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert f"error: {bad}:2: invalid UTF-8 byte 0xfc at byte offset 7" in result.output
    assert "Traceback" not in result.output


def test_annotate_bad_jsonl_line_is_one_line_error(tiny_model_dir, tmp_path):
    bad = tmp_path / "in.jsonl"
    bad.write_text('{"id": 1, "text": "Paris"}\n{"id": 2, "txt": "Paris"}\n')
    result = _invoke("annotate", "-i", str(bad), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert f"{bad}:2: expected an object" in result.output


def test_annotate_missing_model_or_input_is_one_line_error(tiny_model_dir, tmp_path):
    result = _invoke("annotate", GERMANY, "--model", str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nowhere'}: no such model directory" in result.output
    result = _invoke("annotate", "-i", str(tmp_path / "missing.txt"), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert "missing.txt: no such file or directory" in result.output


def test_annotate_needs_text_or_input():
    result = _invoke("annotate")
    assert result.exit_code == 2
    assert "give either TEXT or --input" in result.output


def test_annotate_refuses_an_output_that_is_an_input_and_leaves_it_alone(tiny_model_dir, tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"id": "a", "text": "Germany won."}\n')
    for output in (texts, tmp_path / "." / "texts.jsonl"):
        result = _invoke("annotate", "-i", str(tmp_path), "-i", str(texts), "-o", str(output))
        assert result.exit_code == 1
        assert result.stderr == f"error: --output {output} is also an --input: write the annotations to another file\n"
        assert texts.read_text() == '{"id": "a", "text": "Germany won."}\n'


def test_annotate_failing_run_keeps_the_old_output_and_writes_nothing_beside_it(tiny_model_dir, tmp_path):
    broken = tmp_path / "broken_late.jsonl"
    good = '{"id": "%d", "text": "Germany beat Argentina."}\n'
    broken.write_text("".join(good % i for i in range(300)) + "{not json\n")
    output = tmp_path / "out" / "o.jsonl"
    output.parent.mkdir()
    output.write_text("PRECIOUS\n")
    result = _invoke("annotate", "-i", str(broken), "-o", str(output), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {broken}:301: not valid JSON")
    assert output.read_text() == "PRECIOUS\n"
    assert sorted(path.name for path in output.parent.iterdir()) == ["o.jsonl"]


def test_annotate_output_is_replaced_whole_and_readable(tiny_model_dir, tmp_path):
    output = tmp_path / "o.jsonl"
    output.write_text("OLD\n" * 1000)
    result = _invoke("annotate", GERMANY, "-o", str(output), "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["id"] for line in output.read_text().splitlines()] == ["text"]
    assert output.stat().st_mode & 0o444 == 0o444
    assert sorted(path.name for path in tmp_path.iterdir()) == ["o.jsonl"]


def test_annotate_output_that_is_a_directory_is_one_line_error(tiny_model_dir, tmp_path):
    result = _invoke("annotate", GERMANY, "-o", str(tmp_path), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert (
        result.stderr == f"error: --output {tmp_path} is a directory: give a file name, e.g. {tmp_path / 'out.jsonl'}\n"
    )


def test_annotate_with_nothing_to_annotate_says_so(tiny_model_dir, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.jsonl").write_text("\n\n")
    for given in (tmp_path / "empty", tmp_path / "blank.jsonl"):
        result = _invoke("annotate", "-i", str(given), "-o", str(tmp_path / "o.jsonl"))
        assert result.exit_code == 1
        assert result.stderr == f"error: nothing to annotate: no text in {given}\n"
    assert not (tmp_path / "o.jsonl").exists()
