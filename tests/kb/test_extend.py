"""`jointel.kb.extend`, `jointel.kb.records` and `jointel kb add | remove | export`: user entities in a KB copy.

Hand-computed values use the fixture KB's alias "paris": total 1.7735619 and priors 0.8739475 (Paris),
0.1046103 (Paris,_Texas), 0.0214422 (Paris_Hilton), i.e. scores 1.55, 0.1855329 and 0.0380291.
"""

import errno
import multiprocessing
import os
import shutil
import sqlite3
import time

import pytest
from typer.testing import CliRunner

import jointel
from jointel.annotate.annotator import BUNDLED_MODEL
from jointel.cli.kb import app
from jointel.data import DataFormatError
from jointel.kb import KB, Candidate
from jointel.kb.extend import DEFAULT_POPULARITY, UnknownEntityError, add_entities, export_entities, remove_entities
from jointel.kb.records import EntityRecord, entity_record_line, read_entity_records

ZORBLAX = EntityRecord("Zorblax_Dynamics", ("Zorblax", "Zorblax Corp"), "ORG", description="Makes teleporters.")
ZORBLAX_LINE = (
    '{"title": "Zorblax Dynamics", "aliases": ["Zorblax", "Zorblax Corp"], "type": "ORG", '
    '"description": "Makes teleporters."}\n'
)
WIDE = {"COLUMNS": "200"}


def close(expected):
    """Equal to the 7 decimals the hand computations keep."""
    return pytest.approx(expected, abs=1e-7)


@pytest.fixture
def kb_copy(tiny_kb, tmp_path):
    """A private copy of the fixture KB, which other tests share."""
    return shutil.copy(tiny_kb.path, tmp_path / "kb.sqlite")


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.setenv("JOINTEL_CACHE", str(tmp_path / "cache"))  # the default --kb lives there, not in .cache/
    return CliRunner()


def test_read_entity_records_parses_fields_and_spells_titles_as_wikipedia(tmp_path):
    path = tmp_path / "entities.jsonl"
    path.write_text(ZORBLAX_LINE + "\n" + '{"title": "Jane  Roe", "type": "LOC", "popularity": 2, "weight": 3.5}\n')
    assert read_entity_records(path) == [
        ZORBLAX,
        EntityRecord("Jane_Roe", (), "LOC", popularity=2.0, weight=3.5),  # the blank line 2 is skipped
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"title": "X", "aliases": ["x"]', "not valid JSON (Expecting ',' delimiter at column 32)"),
        ('["X"]', 'expected a JSON object such as {"title": "…", "aliases": ["…"]}, got ["X"]'),
        ('{"aliases": ["x"]}', 'expected "title": a string with a letter or digit, got none'),
        ('{"title": "!!"}', 'expected "title": a string with a letter or digit, got "!!"'),
        (
            '{"title": "X", "aliases": "x"}',
            'expected "aliases": a list of strings, each with a letter or digit, got "x"',
        ),
        ('{"title": "X", "aliases": ["x", ""]}', 'each with a letter or digit, got ["x", ""]'),
        ('{"title": "X", "type": "GPE"}', 'unknown "type" "GPE": expected one of PER, ORG, LOC, MISC'),
        ('{"title": "X", "url": "y"}', "unknown key 'url': expected title, aliases, type, popularity, description"),
        ('{"title": "X", "popularity": -1}', 'expected "popularity": a non-negative number up to 100, got -1'),
        ('{"title": "X", "weight": 0}', 'expected "weight": a positive number up to 1,000,000,000, got 0'),
        ('{"title": "X", "description": 7}', 'expected "description": a string, got 7'),
        # issue 20 item 15: two weights of 1e308 on one alias overflowed; lone surrogates failed in SQLite
        ('{"title": "X", "weight": 1e308}', 'expected "weight": a positive number up to 1,000,000,000, got 1e+308'),
        ('{"title": "X", "weight": 1e999}', 'expected "weight": a positive number up to 1,000,000,000, got Infinity'),
        ('{"title": "X", "weight": NaN}', 'expected "weight": a positive number up to 1,000,000,000, got NaN'),
        ('{"title": "X", "popularity": 1e308}', 'expected "popularity": a non-negative number up to 100, got 1e+308'),
        (
            '{"title": "Ab\\ud800cd"}',
            'expected "title": Unicode text, got a lone surrogate at character 3 of "Ab\\ud800cd"',
        ),
        ('{"title": "X", "aliases": ["x", "\\udfff"]}', 'each with a letter or digit, got ["x", "\\udfff"]'),
        ('{"title": "X", "aliases": ["x\\udfffy"]}', 'expected "aliases": Unicode text, got a lone surrogate'),
        ('{"title": "X", "description": "\\ud800"}', 'expected "description": Unicode text, got a lone surrogate'),
    ],
)
def test_read_entity_records_errors_name_file_line_and_expectation(tmp_path, line, problem):
    path = tmp_path / "entities.jsonl"
    path.write_text(ZORBLAX_LINE + line + "\n")
    with pytest.raises(DataFormatError) as raised:
        read_entity_records(path)
    assert str(raised.value).startswith(f"{path}:2: ")
    assert problem in str(raised.value)


def test_add_entities_makes_new_aliases_with_prior_one_and_leaves_the_source_alone(tiny_kb, tmp_path):
    before = tiny_kb.path.read_bytes()
    edit = add_entities(tiny_kb.path, [ZORBLAX], tmp_path / "mine.sqlite")
    assert (edit.added, edit.merged, edit.aliases, edit.new_aliases) == (1, 0, 3, 3)
    zorblax = Candidate("Zorblax_Dynamics", 1.0, DEFAULT_POPULARITY, "ORG")
    with KB(edit.path) as kb:
        assert [kb.candidates(alias) for alias in ("Zorblax", "zorblax corp.", "Zorblax Dynamics")] == [[zorblax]] * 3
        assert kb.alias_total("Zorblax") == 1.0  # the default weight: one train link
        assert kb.alias_table()["zorblax"] == ("ORG", 1.0)  # the NER gazetteer sees the alias too
        assert len(kb) == tiny_kb.stats.entities + 1
    assert tiny_kb.path.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mine.sqlite"]  # no temporary file left


def test_add_entities_renormalises_a_shared_alias_and_keeps_the_order_of_known_entities(kb_copy):
    band = EntityRecord("Paris_(band)", ("Paris",), weight=0.5)
    add_entities(kb_copy, [band])  # in place
    with KB(kb_copy) as kb:
        found = kb.candidates("Paris")
        # total 1.7735619 + 0.5 = 2.2735619; Paris 1.55 / 2.2735619, the band 0.5 / 2.2735619, …
        assert [candidate.entity for candidate in found] == ["Paris", "Paris_(band)", "Paris,_Texas", "Paris_Hilton"]
        assert [candidate.prior for candidate in found] == close([0.6817496, 0.2199192, 0.0816045, 0.0167266])
        assert kb.alias_total("Paris") == close(2.2735619)
        # the PPR lists keep their entities and take the new realistic prior
        assert [(c.entity, c.prior) for c in kb.ppr_candidates(2, "Paris")] == [
            ("Paris", close(0.6817496)),
            ("Paris,_Texas", close(0.0816045)),
            ("Paris_Hilton", close(0.0167266)),
        ]
        assert kb.candidates("Paris (band)") == [Candidate("Paris_(band)", 1.0, DEFAULT_POPULARITY, None)]


def test_add_entities_merges_a_known_title(kb_copy):
    edit = add_entities(kb_copy, [EntityRecord("Paris Hilton", ("Hilton Paris",), description="Hotel heiress.")])
    assert (edit.added, edit.merged, edit.new_aliases) == (0, 1, 1)  # "paris hilton" was an alias already
    with KB(kb_copy) as kb:
        assert kb.candidates("Hilton Paris") == [Candidate("Paris_Hilton", 1.0, 7.601402334583733, "PER")]
        # its title alias, Paris_Hilton's alone, had total 0.3802906; the record adds one link's worth
        assert kb.alias_total("Paris Hilton") == close(1.3802906)
    assert list(export_entities(kb_copy, ["Paris_Hilton"])) == [
        EntityRecord(
            "Paris_Hilton",
            ("hilton", "hilton paris", "paris", "paris hilton"),
            "PER",
            7.601402334583733,
            "Hotel heiress.",
        )
    ]


def test_remove_entities_renormalises_shared_aliases_and_drops_its_own(kb_copy):
    edit = remove_entities(kb_copy, ["Paris Hilton"])
    assert (edit.removed, edit.aliases, edit.dropped_aliases) == (1, 3, 2)  # paris; hilton, paris hilton dropped
    with KB(kb_copy) as kb:
        assert kb.entity("Paris_Hilton") is None
        assert kb.candidates("Hilton") == kb.candidates("Paris Hilton") == []
        # total 1.7735619 - 0.0380291 = 1.7355329: Paris 1.55 / 1.7355329, Texas 0.1855329 / 1.7355329
        assert [(c.entity, c.prior) for c in kb.candidates("Paris")] == [
            ("Paris", close(0.8930975)),
            ("Paris,_Texas", close(0.1069025)),
        ]
        assert [(c.entity, c.prior) for c in kb.ppr_candidates(4, "Paris", k=2)] == [
            ("Paris", close(0.8930975)),
            ("Paris,_Texas", close(0.1069025)),
        ]  # ranks stay 1, 2, … without a gap


def test_remove_entities_drops_their_links(kb_copy):
    remove_entities(kb_copy, ["European Union"])
    with KB(kb_copy) as kb:
        assert kb.counts()["links"] == 1  # the testa pair of the football teams is left
        assert kb.ppr_links_among(1, ["Germany", "European_Union"]) == {}


def test_remove_entities_unknown_title_is_an_error_and_writes_nothing(kb_copy):
    before = kb_copy.read_bytes()
    with pytest.raises(
        UnknownEntityError, match=r"no entity titled 'Hilton' \(the alias 'Hilton' names Paris_Hilton\)"
    ):
        remove_entities(kb_copy, ["Paris", "Hilton"])
    assert kb_copy.read_bytes() == before
    assert [path.name for path in kb_copy.parent.iterdir()] == ["kb.sqlite"]


def test_export_then_add_into_an_emptied_kb_round_trips(kb_copy, tmp_path):
    add_entities(kb_copy, [ZORBLAX])
    exported = list(export_entities(kb_copy))
    assert exported[-1] == EntityRecord(
        "Zorblax_Dynamics", ("zorblax", "zorblax corp", "zorblax dynamics"), "ORG", 6.0, "Makes teleporters."
    )
    assert exported[9] == EntityRecord("Paris", ("paris",), "LOC", 10.308985993422082)  # type GPE is LOC in JSONL
    path = tmp_path / "entities.jsonl"
    path.write_text("".join(entity_record_line(record) for record in exported))
    empty = remove_entities(kb_copy, [record.title for record in exported], tmp_path / "empty.sqlite")
    with KB(empty.path) as kb:
        assert (len(kb), kb.counts()["aliases"], kb.counts()["ppr_entries"]) == (0, 0, 0)
    again = add_entities(empty.path, read_entity_records(path), tmp_path / "again.sqlite")
    assert list(export_entities(again.path)) == exported


def test_cli_add_then_remove_from_a_file_print_what_changed(runner, tiny_kb, tmp_path):
    entities = tmp_path / "entities.jsonl"
    entities.write_text(ZORBLAX_LINE)
    mine = tmp_path / "mine.sqlite"
    added = runner.invoke(app, ["add", str(entities), "--kb", str(tiny_kb.path), "--out", str(mine)], env=WIDE)
    assert added.exit_code == 0, added.output
    assert added.stdout == f"1 entity added; 3 aliases touched (3 new, 0 dropped) → {mine}\n"
    titles = tmp_path / "titles.txt"
    titles.write_text("Zorblax Dynamics\n\n")
    removed = runner.invoke(app, ["remove", "--file", str(titles), "--kb", str(mine)], env=WIDE)
    assert removed.exit_code == 0, removed.output
    assert removed.stdout == f"1 entity removed; 3 aliases touched (0 new, 3 dropped) → {mine}\n"


def test_cli_add_malformed_line_is_one_line_error(runner, tiny_kb, tmp_path):
    entities = tmp_path / "entities.jsonl"
    entities.write_text(ZORBLAX_LINE + '{"title": "X", "type": "CITY"}\n')
    result = runner.invoke(app, ["add", str(entities), "--kb", str(tiny_kb.path), "--out", str(tmp_path / "k")])
    assert result.exit_code == 1
    assert result.stderr == f'error: {entities}:2: unknown "type" "CITY": expected one of PER, ORG, LOC, MISC\n'
    assert not (tmp_path / "k").exists()


def test_issue_20_15_cli_add_of_huge_weights_or_lone_surrogates_is_one_line_and_leaves_the_kb(
    runner, kb_copy, tmp_path
):
    """Both raised tracebacks (OverflowError summing the weights, UnicodeEncodeError in SQLite)."""
    before = kb_copy.read_bytes()
    entities = tmp_path / "entities.jsonl"
    for line, problem in [
        ('{"title": "Big", "aliases": ["Paris"], "weight": 1e308}\n', 'expected "weight": a positive number up to'),
        ('{"title": "Ab\\ud800cd Smith"}\n', 'expected "title": Unicode text, got a lone surrogate at character 3'),
    ]:
        entities.write_text(ZORBLAX_LINE + line)
        result = runner.invoke(app, ["add", str(entities), "--kb", str(kb_copy)])
        assert result.exit_code == 1
        assert result.stderr.startswith(f"error: {entities}:2: {problem}") and result.stderr.count("\n") == 1
    assert kb_copy.read_bytes() == before


def test_issue_20_14_lookup_prints_titles_and_aliases_with_rich_markup_as_written(runner, kb_copy):
    """A title or an alias "[/x]" closes no tag: rich raised MarkupError printing it."""
    add_entities(kb_copy, [EntityRecord("Evil_[/x]_Corp", ("Evil Corp",), "ORG")])
    result = runner.invoke(app, ["lookup", "Evil Corp", "--kb", str(kb_copy)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "│ Evil_[/x]_Corp │" in result.stdout
    result = runner.invoke(app, ["lookup", "[/x] [b]", "--kb", str(kb_copy)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("no candidates for '[/x] [b]' (key 'x b', realistic)")


def test_issue_20_12_export_and_add_refuse_a_directory_output_before_any_work(runner, kb_copy, tmp_path):
    (tmp_path / "entities.jsonl").write_text(ZORBLAX_LINE)
    for args, example in [
        (["export", "--kb", str(kb_copy), "--out", str(tmp_path)], "entities.jsonl"),
        (["add", str(tmp_path / "entities.jsonl"), "--kb", str(kb_copy), "--out", str(tmp_path)], "kb.sqlite"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1
        assert result.stderr == f"error: --out {tmp_path} is a directory: give a file name, e.g. {tmp_path / example}\n"


def test_issue_20_12_export_on_a_full_disk_keeps_the_old_file_and_leaves_no_temporary(
    runner, kb_copy, tmp_path, monkeypatch
):
    out = tmp_path / "out" / "entities.jsonl"
    out.parent.mkdir()
    out.write_text("PRECIOUS\n")
    lines = []

    def line_until_the_disk_is_full(record):
        if len(lines) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as a write to a file object: no file name
        lines.append(entity_record_line(record))
        return lines[-1]

    monkeypatch.setattr("jointel.cli.kb.entity_record_line", line_until_the_disk_is_full)
    result = runner.invoke(app, ["export", "--kb", str(kb_copy), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr == f"error: {out}: No space left on device\n"
    assert out.read_text() == "PRECIOUS\n"
    assert sorted(path.name for path in out.parent.iterdir()) == ["entities.jsonl"]


def test_cli_remove_unknown_title_is_a_one_line_error(runner, kb_copy):
    result = runner.invoke(app, ["remove", "Atlantis", "--kb", str(kb_copy)], env=WIDE)
    assert result.exit_code == 1
    assert "no entity titled 'Atlantis'" in result.output


def test_cli_export_writes_jsonl_that_add_reads(runner, tiny_kb, tmp_path):
    result = runner.invoke(app, ["export", "--kb", str(tiny_kb.path), "--title", "Phil Mickelson"])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        '{"title": "Phil_Mickelson", "aliases": ["mickelson", "phil", "phil mickelson"], "type": "PER", '
        '"popularity": 6.803505257608338}\n'
    )
    out = tmp_path / "all.jsonl"
    result = runner.invoke(app, ["export", "--kb", str(tiny_kb.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [record.title for record in read_entity_records(out)][:3] == [
        "Argentina",
        "Argentina_national_football_team",
        "Argentina_national_rugby_union_team",
    ]
    assert len(read_entity_records(out)) == 17


@pytest.mark.slow
@pytest.mark.skipif(not (BUNDLED_MODEL / "kb.sqlite").is_file(), reason="no bundled model")
def test_added_organisation_links_with_the_bundled_model_and_is_nil_once_removed(tmp_path):
    """The acceptance case: no retraining, only a KB copy (the bundled model's own KB is never written)."""
    text = "Zorblax Dynamics reported a loss on Monday. Shares of Zorblax fell 5 percent, the company said."
    kb = shutil.copy(BUNDLED_MODEL / "kb.sqlite", tmp_path / "kb.sqlite")
    add_entities(kb, [EntityRecord("Zorblax Dynamics", ("Zorblax", "Zorblax Corp"), "ORG")])
    with jointel.load(kb=kb) as annotator:
        linked = annotator.annotate(text)
    assert [(m.text, m.label, m.entity) for m in linked] == [
        ("Zorblax Dynamics", "ORG", "Zorblax_Dynamics"),
        ("Zorblax", "ORG", "Zorblax_Dynamics"),
    ]
    remove_entities(kb, ["Zorblax Dynamics"])
    with jointel.load(kb=kb) as annotator:
        unlinked = annotator.annotate(text)
    assert [(m.text, m.label, m.entity) for m in unlinked] == [
        ("Zorblax Dynamics", "ORG", None),
        ("Zorblax", "ORG", None),
    ]


def _slowly(records):
    """Records that take their time, so that two edits overlap (an edit reads its records inside its window)."""
    for record in records:
        time.sleep(0.3)
        yield record


def test_two_edits_at_once_are_both_applied(kb_copy):
    context = multiprocessing.get_context("fork")
    edits = [
        context.Process(target=add_entities, args=(kb_copy, _slowly([EntityRecord(title, (alias,))])))
        for title, alias in (("Zorblax_Dynamics", "Zorblax"), ("Mira_Quenby", "Quenby"))
    ]
    for edit in edits:
        edit.start()
    for edit in edits:
        edit.join(timeout=60)
        assert edit.exitcode == 0
    with KB(kb_copy) as kb:
        assert [c.entity for c in kb.candidates("Zorblax")] == ["Zorblax_Dynamics"]
        assert [c.entity for c in kb.candidates("Quenby")] == ["Mira_Quenby"]
    assert sorted(path.name for path in kb_copy.parent.iterdir()) == ["kb.sqlite"]


def test_an_edit_removes_what_a_killed_edit_left_and_says_so(runner, kb_copy, tmp_path, caplog):
    stale = [tmp_path / ".kb.sqlite.k1ll3d_0.tmp", tmp_path / ".kb.sqlite.k1ll3d_0.tmp-journal"]
    for path in stale:
        path.write_bytes(b"\0" * 4096)
    entities = tmp_path / "entities.jsonl"
    entities.write_text(ZORBLAX_LINE)
    result = runner.invoke(app, ["add", str(entities), "--kb", str(kb_copy)], env=WIDE)
    assert result.exit_code == 0, result.output
    warnings = [record.getMessage() for record in caplog.records]  # on stderr outside pytest
    assert warnings == [f"removed {path}, left behind by an interrupted jointel run" for path in stale]
    assert sorted(path.name for path in tmp_path.iterdir() if path.name != "cache") == ["entities.jsonl", "kb.sqlite"]


def test_cli_add_on_a_full_disk_is_one_line_error_and_changes_nothing(runner, kb_copy, tmp_path, monkeypatch):
    def full(*_):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("jointel.kb.extend._upsert_entity", full)
    entities = tmp_path / "entities.jsonl"
    entities.write_text(ZORBLAX_LINE)
    before = kb_copy.read_bytes()
    result = runner.invoke(app, ["add", str(entities), "--kb", str(kb_copy)], env=WIDE)
    assert result.exit_code == 1
    assert result.stderr == "error: SQLite: database or disk is full (nothing was changed)\n"
    assert kb_copy.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir() if path.name != "cache") == ["entities.jsonl", "kb.sqlite"]


def test_a_bug_in_sql_is_not_hidden_as_a_user_error(runner, kb_copy, tmp_path, monkeypatch):
    def bug(*_):
        raise sqlite3.OperationalError("no such column: titel")

    monkeypatch.setattr("jointel.kb.extend._upsert_entity", bug)
    entities = tmp_path / "entities.jsonl"
    entities.write_text(ZORBLAX_LINE)
    result = runner.invoke(app, ["add", str(entities), "--kb", str(kb_copy)], env=WIDE)
    assert isinstance(result.exception, sqlite3.OperationalError)
