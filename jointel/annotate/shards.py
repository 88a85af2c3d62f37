"""A corpus on disk as shards: which input documents make each output file, reading them, writing them atomically.

The input is a directory of `.jsonl` files (one `{"id": …, "text": "…"}` object a line) and `.parquet` files
(columns `id` and `text`). Each file, cut into blocks of `shard_size` documents, gives one output shard named after
the file and the block (`news/a.jsonl` block 3 → `news__a.jsonl-00003.parquet`), so a rerun finds the shards that
are done by name alone. Shards are written to a temporary file and renamed, so an existing shard is a complete
one; `settings.json` in the output directory records what decides the output (model, KB, batch size, …), so that a
rerun with other settings cannot mix its shards with the old ones.

An output shard has one row per document, in input order: `id`, `length` (characters) and `mentions`, a list of
structs with the fields of `Mention` (`candidates` as (entity, probability) structs). As JSONL, a shard holds the
lines `jointel annotate --format jsonl` writes for the same documents.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from jointel.annotate.annotator import Mention
from jointel.annotate.formats import jsonl_record, mention_record
from jointel.data.documents import DataFormatError
from jointel.data.files import write_atomic
from jointel.data.unicode import valid_unicode

logger = logging.getLogger(__name__)

INPUT_SUFFIXES = (".jsonl", ".parquet")
OUTPUT_FORMATS = ("parquet", "jsonl")
SETTINGS_FILE = "settings.json"
CANDIDATE = pa.struct([("entity", pa.string()), ("probability", pa.float64())])
MENTION = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("entity", pa.string()),
        ("url", pa.string()),
        ("ner_score", pa.float64()),
        ("el_score", pa.float64()),
        ("candidates", pa.list_(CANDIDATE)),
    ]
)
MENTIONS = pa.list_(MENTION)  # the mentions of one document
OUTPUT_SCHEMA = pa.schema([("id", pa.string()), ("length", pa.int64()), ("mentions", MENTIONS)])


class CorpusError(ValueError):
    """The output directory does not fit this run (made with other settings)."""


@dataclass(frozen=True)
class Shard:
    """A block of consecutive documents of one input file, and the name of its output file.

    `offset` is the byte offset of the block's first line in a JSONL file (0 for Parquet), so that reading a block
    does not parse the lines before it.
    """

    source: Path
    first: int  # index of the block's first document in `source`
    size: int  # documents
    name: str
    offset: int = 0


@dataclass(frozen=True)
class Settings:
    """What decides the content of the output shards; a rerun into the same directory must use the same.

    `model` and `kb` are absolute paths as every Ray worker sees them, None for the bundled model and its KB
    (which each worker finds in its own installation). `batch_size` is here because the model's float32 scores
    move in the last bits with the make-up of a batch.
    """

    model: str | None
    kb: str | None
    output_format: str
    shard_size: int
    batch_size: int
    nil_threshold: float | None
    top_k: int


@dataclass(frozen=True)
class CorpusPlan:
    """Every shard of the corpus, and the ids that occur more than once (id → 'file:line' of each occurrence)."""

    shards: list[Shard]
    duplicate_ids: dict[str, list[str]]

    @property
    def documents(self) -> int:
        return sum(shard.size for shard in self.shards)


@dataclass(frozen=True)
class _Row:
    """Where a document is (1-based line of a JSONL file, or row of a Parquet file; byte offset) and its id."""

    id: str
    line: int
    offset: int


def input_files(directory: Path) -> list[Path]:
    """The `.jsonl` and `.parquet` files under `directory` (recursively, sorted), or `directory` if it is one."""
    if directory.is_file():
        return [directory]
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such file or directory")
    files = sorted(path for path in directory.rglob("*") if path.suffix in INPUT_SUFFIXES and path.is_file())
    if not files:
        raise FileNotFoundError(f"{directory}: no .jsonl or .parquet files here")
    return files


def plan_corpus(directory: Path, shard_size: int, output_format: str) -> CorpusPlan:
    """Read and check every document's id and text once, and cut each file into shards of `shard_size`."""
    shards: list[Shard] = []
    first_seen: dict[str, tuple[Path, int]] = {}
    duplicates: dict[str, list[str]] = {}
    root = directory if directory.is_dir() else directory.parent
    for file in input_files(directory):
        rows = list(_scan(file))
        stem = file.relative_to(root).as_posix().replace("/", "__")
        for block, first in enumerate(range(0, len(rows), shard_size)):
            size = min(shard_size, len(rows) - first)
            shards.append(Shard(file, first, size, f"{stem}-{block:05d}.{output_format}", rows[first].offset))
        for row in rows:
            seen = first_seen.setdefault(row.id, (file, row.line))
            if seen != (file, row.line):
                duplicates.setdefault(row.id, [f"{seen[0]}:{seen[1]}"]).append(f"{file}:{row.line}")
    return CorpusPlan(shards, duplicates)


def read_shard(shard: Shard) -> pa.Table:
    """The shard's documents as a table of `id` and `text` (both strings), in file order."""
    if shard.source.suffix == ".parquet":
        table = pq.read_table(shard.source, columns=["id", "text"], memory_map=True).slice(shard.first, shard.size)
        return pa.table({name: table.column(name).cast(pa.string()) for name in ("id", "text")})
    ids, texts = [], []
    with shard.source.open("rb") as handle:
        handle.seek(shard.offset)
        for raw in handle:
            if len(ids) == shard.size:
                break
            if raw.strip():
                record = _json_object(shard.source, 0, raw)  # checked by plan_corpus, which knows the line
                ids.append(valid_unicode(str(record["id"])))
                texts.append(valid_unicode(record["text"]))
    return pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())})


def prepare_output(output: Path, settings: Settings, shards: Sequence[Shard]) -> list[Shard]:
    """The shards still to do: record `settings` (or check them against the recorded ones) and remove the
    temporary files a killed run left behind."""
    output.mkdir(parents=True, exist_ok=True)
    path = output / SETTINGS_FILE
    if path.is_file():
        recorded = json.loads(path.read_text())
        if recorded != asdict(settings):
            raise CorpusError(
                f"{output} holds shards made with other settings ({_differences(recorded, asdict(settings))}); "
                "rerun with the same settings or write to a new directory"
            )
    else:
        write_atomic(path, (json.dumps(asdict(settings), indent=2) + "\n").encode())
    names = tuple(shard.name for shard in shards)
    for temporary in output.glob("*.tmp"):
        if temporary.name.startswith(names):
            logger.info("removing %s, left by an interrupted run", temporary)
            temporary.unlink()
    return [shard for shard in shards if not (output / shard.name).exists()]


def _differences(recorded: dict, current: dict) -> str:
    return ", ".join(
        f"{key} {recorded.get(key)!r} → {value!r}" for key, value in current.items() if recorded.get(key) != value
    )


def mention_records(mentions: Iterable[Sequence[Mention]]) -> list[list[dict]]:
    """Each document's mentions as MENTION structs: the dicts of `mention_record`, as `jointel annotate` writes."""
    return [[mention_record(mention) for mention in document] for document in mentions]


def write_shard(path: Path, rows: pa.Table, output_format: str) -> None:
    """Write a shard's `id`, `length`, `mentions` rows to `path` in one rename."""
    rows = rows.select(OUTPUT_SCHEMA.names).cast(OUTPUT_SCHEMA)
    if output_format == "jsonl":
        documents = zip(rows.column("id").to_pylist(), rows.column("mentions").to_pylist(), strict=True)
        lines = [jsonl_record(document_id, "", _mentions(records)) for document_id, records in documents]
        write_atomic(path, "".join(lines).encode("utf-8"))
    else:
        sink = pa.BufferOutputStream()
        pq.write_table(rows, sink)
        write_atomic(path, sink.getvalue().to_pybytes())


def read_output(path: Path) -> list[tuple[str, list[Mention]]]:
    """(id, mentions) of each document of an output shard, in order: how tests and benchmarks check a run."""
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        return [(record["id"], _mentions(record["mentions"])) for record in records]
    table = pq.read_table(path)
    ids, mentions = table.column("id").to_pylist(), table.column("mentions").to_pylist()
    return [(document_id, _mentions(records)) for document_id, records in zip(ids, mentions, strict=True)]


def _mentions(records: list[dict]) -> list[Mention]:
    return [
        Mention(**{**record, "candidates": tuple(_candidate(pair) for pair in record["candidates"])})
        for record in records
    ]


def _candidate(pair: dict | list) -> tuple[str, float]:
    """A candidate from a Parquet struct ({entity, probability}) or a JSONL pair ([entity, probability])."""
    return (pair["entity"], pair["probability"]) if isinstance(pair, dict) else (pair[0], pair[1])


def _scan(file: Path) -> Iterator[_Row]:
    return _scan_parquet(file) if file.suffix == ".parquet" else _scan_jsonl(file)


def _scan_jsonl(file: Path) -> Iterator[_Row]:
    """Every document of a JSONL file, checked: a JSON object with an `id` (string or integer) and a string text."""
    offset = 0
    with file.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                record = _json_object(file, number, raw)
                yield _Row(str(record["id"]), number, offset)
            offset += len(raw)


def _json_object(file: Path, number: int, raw: bytes) -> dict:
    """The `{"id": …, "text": "…"}` object on line `number` of `file`, or DataFormatError saying what is wrong."""
    try:
        record = json.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as error:
        raise DataFormatError(file, number, f"invalid UTF-8 byte at column {error.start + 1}") from None
    except json.JSONDecodeError as error:
        raise DataFormatError(file, number, f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise DataFormatError(file, number, f'expected an object {{"id": …, "text": "…"}}, got {_kind(record)}')
    for key in ("id", "text"):
        if key not in record:
            raise DataFormatError(file, number, f'no "{key}" key (expected {{"id": …, "text": "…"}})')
    if not isinstance(record["text"], str):
        raise DataFormatError(file, number, f'"text" is {_kind(record["text"])}, expected a string')
    if isinstance(record["id"], bool) or not isinstance(record["id"], str | int):
        raise DataFormatError(file, number, f'"id" is {_kind(record["id"])}, expected a string or an integer')
    return record


def _scan_parquet(file: Path) -> Iterator[_Row]:
    """Every document of a Parquet file, checked: string or integer `id`, string `text`, neither null."""
    try:
        schema = pq.read_schema(file)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataFormatError(file, 0, f"not a Parquet file ({error})") from None
    for name, is_type in (("id", _is_id_type), ("text", pa.types.is_string)):
        if name not in schema.names:
            raise DataFormatError(file, 0, f"no column {name!r} (columns: {', '.join(schema.names)})")
        column_type = schema.field(name).type
        if not (is_type(column_type) or pa.types.is_large_string(column_type)):
            raise DataFormatError(file, 0, f"column {name!r} is {column_type}, expected a string column")
    table = pq.read_table(file, columns=["id", "text"])
    for name in ("id", "text"):
        if table.column(name).null_count:
            row = table.column(name).is_null().to_pylist().index(True) + 1
            raise DataFormatError(file, row, f"row {row}: {name} is null")
    for number, document_id in enumerate(table.column("id").cast(pa.string()).to_pylist(), start=1):
        yield _Row(document_id, number, 0)


def _is_id_type(column_type: pa.DataType) -> bool:
    return pa.types.is_string(column_type) or pa.types.is_integer(column_type)


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
