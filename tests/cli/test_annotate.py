import errno
import io
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from jointel.annotate.annotator import Mention, wikipedia_url
from jointel.annotate.formats import jsonl_record
from jointel.cli import annotate as annotate_module
from jointel.cli.annotate import mentions_table
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


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    """A copy of the tiny model to break (the shared one stays read-only)."""
    return Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))


def _set_config(key: str, value: object) -> Callable[[Path], None]:
    def breaks(model: Path) -> None:
        path = model / "config.json"
        path.write_text(json.dumps({**json.loads(path.read_text()), key: value}))

    return breaks


@pytest.mark.parametrize(
    ("damage", "file", "problem"),
    [
        (lambda model: (model / "weights.pt").write_bytes(b""), "weights.pt", "not a jointel weights file"),
        (
            lambda model: (model / "weights.pt").write_bytes((model / "weights.pt").read_bytes()[:5000]),
            "weights.pt",
            "not a jointel weights file (truncated?); retrain or copy it again",
        ),
        (_set_config("hidden", 12), "weights.pt", "tensors of another model: "),
        (_set_config("hidden", "abc"), "config.json", 'hidden must be an integer, not "abc"'),
        (_set_config("nil_threshold", "high"), "config.json", "nil_threshold must be a finite number or null"),
        (_set_config("candidate_protocol", "bogus"), "config.json", "candidate_protocol must be one of realistic"),
        (
            lambda model: (model / "vocabs.json").write_text((model / "vocabs.json").read_text()[:100]),
            "vocabs.json",
            "not a jointel vocabularies file (truncated?)",
        ),
    ],
    ids=["empty-weights", "truncated-weights", "other-sizes", "hidden-abc", "threshold-high", "protocol", "vocabs"],
)
def test_issue_20_11_a_broken_model_directory_is_one_line_naming_the_file(model_copy, damage, file, problem):
    damage(model_copy)
    result = _invoke("annotate", GERMANY, "--model", str(model_copy))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {model_copy / file}: {problem}")
    assert result.stderr.count("\n") == 1


LONE_SURROGATE_LINE = '{"id": "x\\ud800", "text": "Ab\\ud800cd Germany beat Argentina in Rio de Janeiro."}\n'
REPLACED = "Ab\ufffdcd Germany beat Argentina in Rio de Janeiro."


@pytest.mark.parametrize(
    ("output_format", "expected"),
    [
        ("jsonl", ['{"id": "x\ufffd", "mentions": [', '{"start": 6, "end": 13, "text": "Germany"']),
        ("conll", ["-DOCSTART- x\ufffd\n", "\n\ufffd\tO\n", "\nGermany\tB-LOC\tGermany\n"]),
        ("html", ["<h2>x\ufffd</h2>", "\ufffdcd ", ">Germany<sub>LOC</sub></a>"]),
    ],
)
def test_issue_20_13_lone_surrogates_in_jsonl_become_replacement_characters(
    tiny_model_dir, tmp_path, output_format, expected
):
    """They raised UnicodeEncodeError halfway through the output; U+FFFD keeps every offset (Germany at 6)."""
    (tmp_path / "in.jsonl").write_text(LONE_SURROGATE_LINE)
    output = tmp_path / f"out.{output_format}"
    args = ["annotate", "-i", str(tmp_path / "in.jsonl"), "-f", output_format, "-o", str(output)]
    result = _invoke(*args, "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    written = output.read_bytes().decode("utf-8")
    assert [part for part in expected if part not in written] == []


def test_issue_20_13_a_text_argument_with_undecodable_bytes_is_annotated(tiny_model_dir, tmp_path):
    """Python reads argv bytes that are not UTF-8 as lone surrogates ("\\udcff" for 0xff): the tokens written in
    conll raised UnicodeEncodeError."""
    output, text = tmp_path / "out.conll", REPLACED.replace("\ufffd", "\udcff")
    result = _invoke("annotate", text, "-f", "conll", "-o", str(output), "--model", str(tiny_model_dir))
    assert result.exit_code == 0, result.output
    written = output.read_text(encoding="utf-8")
    assert "\n\ufffd\tO\n" in written and "\nGermany\tB-LOC\tGermany\n" in written


def test_issue_20_14_the_table_shows_markup_in_texts_and_titles_as_written():
    """A title "[/x]" raised rich.errors.MarkupError; a text "[b]x[/b]" lost its brackets."""
    mention = Mention(0, 8, "[b]x[/b]", "ORG", "[/x]", wikipedia_url("[/x]"), 0.9, 0.8)
    console = Console(file=io.StringIO(), width=200)
    console.print(mentions_table([mention]))
    row = next(line for line in console.file.getvalue().splitlines() if "0–8" in line)
    assert [cell.strip() for cell in row.split("│")[1:-1]] == ["0–8", "[b]x[/b]", "ORG", "[/x]", "0.90", "0.80"]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--batch-size", "0"),
        ("--batch-size", "-5"),
        ("--top-k", "-1"),
        ("--nil-threshold", "5"),
        ("--nil-threshold", "-0.1"),
        ("--nil-threshold", "nan"),
    ],
)
def test_issue_20_16_out_of_range_options_are_usage_errors_naming_them(tiny_model_dir, option, value):
    result = _invoke("annotate", GERMANY, option, value, "--model", str(tiny_model_dir))
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output


@pytest.mark.parametrize("value", ["5", "nan"])
def test_issue_20_16_serve_and_annotate_corpus_refuse_a_threshold_beyond_probabilities(tiny_model_dir, tmp_path, value):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "x", "text": "Paris."}\n')
    for command in (["serve"], ["annotate-corpus", str(tmp_path / "in"), str(tmp_path / "out")]):
        result = _invoke(*command, "--nil-threshold", value, "--model", str(tiny_model_dir))
        assert result.exit_code == 2
        assert f"Invalid value for '--nil-threshold': {float(value)} is not a probability in [0, 1]" in result.output
    assert not (tmp_path / "out").exists()


def test_issue_20_12_a_full_disk_keeps_the_old_output_and_leaves_no_temporary(tiny_model_dir, tmp_path, monkeypatch):
    (tmp_path / "in.jsonl").write_text("".join(f'{{"id": "{i}", "text": "{GERMANY}"}}\n' for i in range(3)))
    output = tmp_path / "out" / "o.jsonl"
    output.parent.mkdir()
    output.write_text("PRECIOUS\n")
    written = []

    def record_until_the_disk_is_full(document_id, text, mentions):
        if written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write to a file object: no file name
        written.append(document_id)
        return jsonl_record(document_id, text, mentions)

    monkeypatch.setitem(annotate_module._RECORDS, "jsonl", record_until_the_disk_is_full)
    result = _invoke("annotate", "-i", str(tmp_path / "in.jsonl"), "-o", str(output), "--model", str(tiny_model_dir))
    assert result.exit_code == 1
    assert result.stderr == f"error: {output}: No space left on device\n"
    assert output.read_text() == "PRECIOUS\n"
    assert sorted(path.name for path in output.parent.iterdir()) == ["o.jsonl"]
