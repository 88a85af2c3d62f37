"""Corpus annotation with Ray Data: shards equal single-process `annotate_many`, resume, and input checks.

One local Ray instance (2 CPUs, no dashboard) serves the module; the corpus is annotated once and the tests that
need a finished output work on copies of it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jointel
from jointel.annotate.corpus import annotate_shards, ray_session
from jointel.annotate.formats import jsonl_record
from jointel.annotate.shards import (
    MENTIONS,
    CorpusError,
    Settings,
    mention_records,
    plan_corpus,
    prepare_output,
    read_output,
    read_shard,
    write_shard,
)
from jointel.data import DataFormatError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray Data's own deprecated settings

ray = pytest.importorskip("ray")

SENTENCES = [
    "Bill Clinton met Boris Yeltsin in Moscow on Tuesday, the White House said.",
    "Germany beat Argentina in Rio de Janeiro.",
    "Paris Hilton visited Paris.",
    "Phil Mickelson won the tournament in Augusta by two strokes.",
    "The European Commission said on Thursday it disagreed with German advice.",
    "Shares in Microsoft rose 3 percent in New York.",
    "Leicestershire beat Somerset at Grace Road.",
    "Ségolène Royal spoke in Lyon.",
]
FILE_SIZES = {"a.jsonl": 12, "b.jsonl": 9, "d.parquet": 8, "sub/c.jsonl": 11}  # 40 documents, in corpus order
SHARD_SIZE = 5
SETTINGS = Settings(None, None, "parquet", SHARD_SIZE, 4, None, 0)  # batch 4: several model calls per shard


def corpus_texts() -> list[str]:
    """40 texts of 0 to 4 sentences (one empty), in corpus order."""
    return [" ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(i % 5)) for i in range(40)]


def write_corpus(root: Path) -> list[tuple[str, str]]:
    """The corpus of FILE_SIZES under `root` (ids `<file stem>-<n>`); returns (id, text) in corpus order."""
    texts, documents = iter(corpus_texts()), []
    for name, size in FILE_SIZES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [(f"{path.stem}-{n}", next(texts)) for n in range(size)]
        documents += rows
        if path.suffix == ".parquet":
            pq.write_table(pa.table({"id": [i for i, _ in rows], "text": [t for _, t in rows]}), path)
        else:
            path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in rows))
    return documents


@pytest.fixture(scope="module")
def local_ray():
    ray.init(address="local", num_cpus=2, include_dashboard=False)  # a private instance, even beside a cluster
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def annotated(local_ray, tmp_path_factory) -> tuple[Path, Path, list]:
    """(input directory, output directory, shards written in order) of one 2-worker run over the corpus."""
    root = tmp_path_factory.mktemp("corpus")
    write_corpus(root / "in")
    plan = plan_corpus(root / "in", SHARD_SIZE, "parquet")
    pending = prepare_output(root / "out", SETTINGS, plan.shards)
    written = list(annotate_shards(pending, root / "out", SETTINGS, workers=2))
    return root / "in", root / "out", written


def single_process(shards) -> list[tuple[str, list[jointel.Mention]]]:
    """The reference: each shard's texts through one `annotate_many` call, in one process (one torch thread)."""
    annotator, documents = jointel.load(), []
    for shard in shards:
        table = read_shard(shard)
        mentions = annotator.annotate_many(table.column("text").to_pylist(), batch_size=SETTINGS.batch_size)
        documents += zip(table.column("id").to_pylist(), mentions, strict=True)
    return documents


def outputs(directory: Path, shards) -> list[tuple[str, list[jointel.Mention]]]:
    return [document for shard in shards for document in read_output(directory / shard.name)]


def test_plan_cuts_each_file_into_named_blocks(tmp_path):
    write_corpus(tmp_path)
    plan = plan_corpus(tmp_path, SHARD_SIZE, "parquet")
    assert [(shard.name, shard.first, shard.size) for shard in plan.shards] == [
        ("a.jsonl-00000.parquet", 0, 5),
        ("a.jsonl-00001.parquet", 5, 5),
        ("a.jsonl-00002.parquet", 10, 2),
        ("b.jsonl-00000.parquet", 0, 5),
        ("b.jsonl-00001.parquet", 5, 4),
        ("d.parquet-00000.parquet", 0, 5),
        ("d.parquet-00001.parquet", 5, 3),
        ("sub__c.jsonl-00000.parquet", 0, 5),
        ("sub__c.jsonl-00001.parquet", 5, 5),
        ("sub__c.jsonl-00002.parquet", 10, 1),
    ]
    assert plan.documents == 40 and plan.duplicate_ids == {}
    second_block = read_shard(plan.shards[1])  # read from its byte offset
    assert second_block.column("id").to_pylist() == [f"a-{n}" for n in range(5, 10)]
    assert second_block.column("text").to_pylist() == corpus_texts()[5:10]


def test_a_lone_surrogate_in_a_jsonl_text_is_read_as_a_replacement_character(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "x\\udc00", "text": "Mr. Ab\\ud800cd Smith said."}\n')
    shard = plan_corpus(tmp_path, SHARD_SIZE, "parquet").shards[0]
    table = read_shard(shard)  # Arrow refuses strings that are not valid Unicode
    assert table.column("text").to_pylist() == ["Mr. Ab\ufffdcd Smith said."]
    assert table.column("id").to_pylist() == ["x\ufffd"]


def test_corpus_output_equals_single_process_annotate_many(annotated):
    source, output, written = annotated
    plan = plan_corpus(source, SHARD_SIZE, "parquet")
    assert sorted(shard.name for shard in written) == sorted(shard.name for shard in plan.shards)
    got, expected = outputs(output, plan.shards), single_process(plan.shards)
    assert [document_id for document_id, _ in got] == [document_id for document_id, _ in write_corpus(source)]
    assert got == expected  # same mentions, floats bit for bit
    assert sum(len(mentions) for _, mentions in got) > 60
    first = got[1][1][0]  # text 1 is SENTENCES[1]: "Germany beat Argentina in Rio de Janeiro."
    assert (first.start, first.end, first.text, first.label, first.entity) == (0, 7, "Germany", "LOC", "Germany")
    assert got[0] == ("a-0", [])  # the empty text


def test_corpus_output_matches_one_annotate_many_call_up_to_float32_noise(annotated):
    """One call over the whole corpus batches documents of different shards together: the same mentions, and
    scores that differ in the last float32 bits at most."""
    source, output, _ = annotated
    plan = plan_corpus(source, SHARD_SIZE, "parquet")
    got = [mentions for _, mentions in outputs(output, plan.shards)]
    whole = list(jointel.load().annotate_many([text for _, text in write_corpus(source)], batch_size=64))
    assert [[(m.start, m.end, m.label, m.entity) for m in doc] for doc in got] == [
        [(m.start, m.end, m.label, m.entity) for m in doc] for doc in whole
    ]
    for ours, theirs in zip(got, whole, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            assert a.ner_score == pytest.approx(b.ner_score, abs=1e-6)
            assert a.el_score == pytest.approx(b.el_score, abs=1e-6)


def test_resume_redoes_only_missing_shard_and_removes_stray_temp(annotated, tmp_path):
    source, finished, _ = annotated
    output = tmp_path / "out"
    shutil.copytree(finished, output)
    plan = plan_corpus(source, SHARD_SIZE, "parquet")
    (output / "b.jsonl-00001.parquet").unlink()  # as if the run was killed while writing it
    stray = output / "b.jsonl-00001.parquetk3j9x2.tmp"
    stray.write_bytes(b"half a shard")
    before = {path.name: path.stat().st_mtime_ns for path in output.glob("*.parquet")}
    pending = prepare_output(output, SETTINGS, plan.shards)
    assert [shard.name for shard in pending] == ["b.jsonl-00001.parquet"]
    assert not stray.exists()
    assert [shard.name for shard in annotate_shards(pending, output, SETTINGS, workers=2)] == ["b.jsonl-00001.parquet"]
    assert {name: (output / name).stat().st_mtime_ns for name in before} == before  # the others untouched
    assert outputs(output, plan.shards) == outputs(finished, plan.shards)
    assert prepare_output(output, SETTINGS, plan.shards) == []


def test_rerun_with_other_settings_is_refused(annotated, tmp_path):
    source, finished, _ = annotated
    shutil.copytree(finished, tmp_path / "out")
    plan = plan_corpus(source, SHARD_SIZE, "parquet")
    with pytest.raises(CorpusError, match=r"batch_size 4 → 64"):
        prepare_output(tmp_path / "out", replace(SETTINGS, batch_size=64), plan.shards)


def test_relay_for_ray_client_gives_the_same_shards(annotated):
    """Through Ray Client (`ray://`) the pipeline runs in a relay actor; run here, it must give the same rows."""
    from jointel.annotate.corpus import _relayed, _shard_row

    source, output, _ = annotated
    shards = plan_corpus(source, SHARD_SIZE, "parquet").shards[:3]
    relayed = dict(_relayed([_shard_row(i, shard) for i, shard in enumerate(shards)], SETTINGS, workers=2))
    assert sorted(relayed) == [0, 1, 2]
    for index, shard in enumerate(shards):
        expected = pq.read_table(output / shard.name)
        assert relayed[index].column("id").to_pylist() == expected.column("id").to_pylist()
        assert relayed[index].column("mentions").to_pylist() == expected.column("mentions").to_pylist()


def test_ray_session_keeps_a_connected_ray(local_ray):
    with ray_session():
        assert ray.is_initialized()
    assert ray.is_initialized()  # started by the fixture, so not shut down by the session


def test_jsonl_shard_lines_are_those_of_jointel_annotate(tmp_path):
    annotator = jointel.load()
    texts = SENTENCES[:3]
    mentions = list(annotator.annotate_many(texts, top_k=2))
    assert len(mentions[0][0].candidates) == 2  # candidates go through both formats too
    rows = pa.table(
        {
            "id": ["x", "y", "z"],
            "length": [len(t) for t in texts],
            "mentions": pa.array(mention_records(mentions), MENTIONS),
        }
    )
    write_shard(tmp_path / "s.jsonl", rows, "jsonl")
    expected = "".join(jsonl_record(i, t, m) for i, t, m in zip(["x", "y", "z"], texts, mentions, strict=True))
    assert (tmp_path / "s.jsonl").read_text() == expected
    assert read_output(tmp_path / "s.jsonl") == list(zip(["x", "y", "z"], mentions, strict=True))
    write_shard(tmp_path / "s.parquet", rows, "parquet")
    table = pq.read_table(tmp_path / "s.parquet")
    assert table.column("length").to_pylist() == [len(t) for t in texts]
    assert read_output(tmp_path / "s.parquet") == read_output(tmp_path / "s.jsonl")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"text": "Paris."}', 'bad.jsonl:2: no "id" key'),
        ('{"id": "b"}', 'bad.jsonl:2: no "text" key'),
        ('{"id": "b", "text": 42}', 'bad.jsonl:2: "text" is int, expected a string'),
        ('{"id": null, "text": "Paris."}', 'bad.jsonl:2: "id" is null, expected a string or an integer'),
        ('["b", "Paris."]', "bad.jsonl:2: expected an object"),
        ('{"id": "b", "text": "Paris."', "bad.jsonl:2: not valid JSON"),
    ],
)
def test_plan_rejects_bad_jsonl_line(tmp_path, line, problem):
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "text": "Germany."}\n' + line + "\n")
    with pytest.raises(DataFormatError, match=problem.replace("[", r"\[")):
        plan_corpus(tmp_path, SHARD_SIZE, "parquet")


def test_plan_rejects_parquet_without_text_column_or_with_null_text(tmp_path):
    pq.write_table(pa.table({"id": ["a"], "body": ["Paris."]}), tmp_path / "a.parquet")
    with pytest.raises(DataFormatError, match=r"a.parquet:0: no column 'text' \(columns: id, body\)"):
        plan_corpus(tmp_path, SHARD_SIZE, "parquet")
    pq.write_table(pa.table({"id": ["a", "b"], "text": ["Paris.", None]}), tmp_path / "a.parquet")
    with pytest.raises(DataFormatError, match=r"a.parquet:2: row 2: text is null"):
        plan_corpus(tmp_path, SHARD_SIZE, "parquet")
    pq.write_table(pa.table({"id": ["a"], "text": [3]}), tmp_path / "a.parquet")
    with pytest.raises(DataFormatError, match=r"column 'text' is int64, expected a string column"):
        plan_corpus(tmp_path, SHARD_SIZE, "parquet")


def test_plan_rejects_empty_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("Paris.")
    with pytest.raises(FileNotFoundError, match=r"no \.jsonl or \.parquet files"):
        plan_corpus(tmp_path, SHARD_SIZE, "parquet")


def test_plan_reports_duplicate_ids_with_their_places(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": 7, "text": "Paris."}\n\n{"id": "x", "text": "Rome."}\n')
    pq.write_table(pa.table({"id": [1, 7], "text": ["Oslo.", "Bonn."]}), tmp_path / "b.parquet")
    plan = plan_corpus(tmp_path, SHARD_SIZE, "parquet")
    assert plan.duplicate_ids == {"7": [f"{tmp_path / 'a.jsonl'}:1", f"{tmp_path / 'b.parquet'}:2"]}
    assert read_shard(plan.shards[1]).column("id").to_pylist() == ["1", "7"]  # integer ids become strings
