"""`jointel kb build | lookup | stats` through typer's runner: exit codes and printed values."""

import pytest
from typer.testing import CliRunner

from jointel.cli.kb import app

WIDE = {"COLUMNS": "200"}  # rich wraps tables to the terminal width


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path / "cache"))  # the corpus cache goes there, not into .cache/
    return CliRunner()


def test_build_prints_counts_and_writes_the_kb(runner, kb_data_dir, tmp_path):
    out = tmp_path / "kb.sqlite"
    result = runner.invoke(app, ["build", "--data-dir", str(kb_data_dir), "--out", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "17 entities" in result.stdout
    assert out.is_file()


def test_build_missing_data_is_one_line_error(runner, tmp_path):
    result = runner.invoke(app, ["build", "--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "kb")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.output


def test_lookup_prints_ranked_table(runner, tiny_kb):
    result = runner.invoke(app, ["lookup", "Paris", "--kb", str(tiny_kb.path)], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "│" in line and line.split("│")[1].strip().isdigit()]
    cells = [[cell.strip() for cell in row.split("│")[1:-1]] for row in rows]
    assert [row[:2] for row in cells] == [["1", "Paris"], ["2", "Paris,_Texas"], ["3", "Paris_Hilton"]]
    assert cells[0][2:] == ["0.8739", "10.31", "GPE"]


def test_lookup_with_doc_uses_the_ppr_list(runner, tiny_kb):
    result = runner.invoke(app, ["lookup", "Argentina", "--doc", "3", "--k", "2", "--kb", str(tiny_kb.path)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "PPR, document 3" in result.stdout
    assert result.stdout.index("Argentina_national_football_team") > result.stdout.index("│ Argentina ")
    assert "rugby" not in result.stdout  # --k 2


def test_lookup_unknown_alias_says_so(runner, tiny_kb):
    result = runner.invoke(app, ["lookup", "Zzyzx", "--kb", str(tiny_kb.path)])
    assert result.exit_code == 0
    assert "no candidates for 'Zzyzx' (key 'zzyzx', realistic)" in result.stdout


def test_lookup_missing_kb_tells_to_build(runner, tmp_path):
    result = runner.invoke(app, ["lookup", "Paris", "--kb", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 1
    assert "jointel kb build" in result.stderr
    assert "Traceback" not in result.output


def test_stats_prints_recall_per_split_and_protocol(runner, tiny_kb, kb_data_dir):
    args = ["stats", "--kb", str(tiny_kb.path), "--data-dir", str(kb_data_dir), "--split", "testa"]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 0, result.output
    rows = {row.split("│")[2].strip(): row for row in result.stdout.splitlines() if "│ testa" in row}
    # realistic: R@1 = R@all = 2/3; PPR: R@1 = 2/3, R@5 = 1 (see test_stats.py)
    assert [cell.strip() for cell in rows["realistic"].split("│")[3:10]] == ["3", *["66.67"] * 5, "1.0"]
    assert [cell.strip() for cell in rows["ppr"].split("│")[3:11]] == ["3", "66.67", *["100.00"] * 4, "2.3", "66.67"]


def test_stats_unknown_split_is_a_usage_error(runner, tiny_kb):
    result = runner.invoke(app, ["stats", "--kb", str(tiny_kb.path), "--split", "dev"])
    assert result.exit_code == 2
    assert "unknown split 'dev'" in result.output
