import json

from typer.testing import CliRunner

from jointel.cli.app import app

GOLD = "-DOCSTART- d1\nParis\tB-LOC\tParis\nis\tO\nnice\tO\n\nAnna\tB-PER\t--NME--\n"


def run(*args: str):
    return CliRunner().invoke(app, ["evaluate-files", *args])


def test_evaluate_files_prints_and_writes_scores(tmp_path):
    gold, pred, out = tmp_path / "gold.tsv", tmp_path / "pred.tsv", tmp_path / "scores.json"
    gold.write_text(GOLD)
    # Paris right (NER + link); Anna typed LOC: NER FP+FN, NIL prediction still on the gold NIL span.
    pred.write_text(GOLD.replace("Anna\tB-PER", "Anna\tB-LOC"))
    result = run(str(gold), str(pred), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "NER micro" in result.output
    scores = json.loads(out.read_text())
    assert scores["ner"]["micro"]["f1"] == 0.5  # tp 1, fp 1, fn 1
    assert scores["el"]["micro"]["f1"] == 1.0
    assert scores["nil"]["tp"] == 1


def test_evaluate_files_bad_line_is_one_line_error(tmp_path):
    gold, pred = tmp_path / "gold.tsv", tmp_path / "pred.tsv"
    gold.write_text(GOLD)
    pred.write_text(GOLD.replace("is\tO", "is\tB-FOO"))
    result = run(str(gold), str(pred))
    assert result.exit_code == 1
    assert "pred.tsv:3: unknown tag 'B-FOO'" in result.output
    assert "Traceback" not in result.output


def test_evaluate_files_non_parallel_documents_is_an_error(tmp_path):
    gold, pred = tmp_path / "gold.tsv", tmp_path / "pred.tsv"
    gold.write_text(GOLD)
    pred.write_text(GOLD.replace("d1", "d2"))
    result = run(str(gold), str(pred))
    assert result.exit_code == 1
    assert "does not match" in result.output


def test_issue_20_14_file_names_are_printed_as_written_not_as_markup(tmp_path):
    """Rich read "[b]" in a file name as markup: the title lost it (a closing tag alone raised MarkupError)."""
    (tmp_path / "[b]x").mkdir()
    gold, pred = tmp_path / "[b]x" / "gold.tsv", tmp_path / "[b]x" / "[red]pred.tsv"
    gold.write_text(GOLD)
    pred.write_text(GOLD)
    result = CliRunner().invoke(app, ["evaluate-files", str(gold), str(pred)])
    assert result.exit_code == 0, result.output
    assert "".join(f"{pred} against {gold}".split()) in "".join(result.stdout.split())  # the title is wrapped
