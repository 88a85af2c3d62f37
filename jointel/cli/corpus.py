"""`jointel annotate-corpus`: annotate a directory of JSONL / Parquet files into shards, with Ray, resumably."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from jointel.cli.annotate import KBOption, ModelOption, load_annotator
from jointel.cli.errors import UsageError, reports_user_errors

if TYPE_CHECKING:
    from jointel.annotate.shards import CorpusPlan, Settings


@reports_user_errors
def annotate_corpus_command(
    source: Annotated[Path, typer.Argument(help="Directory of .jsonl / .parquet files with `id` and `text`.")],
    output: Annotated[Path, typer.Argument(help="Directory for the output shards (created; a rerun resumes).")],
    model: ModelOption = None,
    kb: KBOption = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Actors, each with one CPU and the model loaded once (default: all CPUs).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Documents per model call.")] = 64,
    output_format: Annotated[str, typer.Option("--format", "-f", help="parquet | jsonl.")] = "parquet",
    address: Annotated[
        str | None,
        typer.Option(help="Ray cluster: ray://head:10001, or auto on a cluster node (default: a private Ray here)."),
    ] = None,
    nil_threshold: Annotated[
        float | None, typer.Option(help="A link with probability below this becomes NIL (default: the model's).")
    ] = None,
    top_k: Annotated[int, typer.Option(min=0, help="Also keep each mention's top-k candidates.")] = 0,
    shard_size: Annotated[
        int, typer.Option(min=1, help="Documents per output shard (files are cut into blocks).")
    ] = 1000,
) -> None:
    """Annotate every document of SOURCE with Ray Data and write one OUTPUT shard per file (and block of
    --shard-size documents), e.g. `jointel annotate-corpus news/ annotated/ --workers 2`.

    Each shard is written whole (a temporary file, then a rename): after an interruption, the same command
    annotates only the missing shards.
    """
    from jointel.annotate.corpus import annotate_shards, cluster_cpus, ray_session  # pyarrow and Ray: only here
    from jointel.annotate.shards import OUTPUT_FORMATS, CorpusError, plan_corpus, prepare_output

    if output_format not in OUTPUT_FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(OUTPUT_FORMATS)}, not {output_format!r}")
    console = Console(stderr=True, highlight=False)
    plan = plan_corpus(source, shard_size, output_format)
    _warn_duplicates(console, plan)
    settings = _settings(model, kb, nil_threshold, output_format, shard_size, batch_size, top_k)
    try:
        pending = prepare_output(output, settings, plan.shards)
    except CorpusError as error:
        raise UsageError(str(error)) from None
    console.print(f"{plan.documents:,} documents in {len(plan.shards)} shards, {len(pending)} to do")
    if not pending:
        return
    with ray_session(address):
        workers = workers or cluster_cpus()
        start, documents = time.perf_counter(), 0
        for shard in annotate_shards(pending, output, settings, workers):
            documents += shard.size
            console.print(f"wrote {escape(shard.name)} ({shard.size:,} documents)")
    seconds = time.perf_counter() - start
    console.print(
        f"{len(pending)} shards written, {len(plan.shards) - len(pending)} skipped (done before) in "
        f"{escape(str(output))}; "
        f"annotated {documents:,} documents in {seconds:.1f} s with {workers} workers "
        f"({documents / seconds:,.1f} docs/s)",
        soft_wrap=True,
    )


def _settings(
    model: Path | None,
    kb: Path | None,
    nil_threshold: float | None,
    output_format: str,
    shard_size: int,
    batch_size: int,
    top_k: int,
) -> Settings:
    """The run's settings, with the model and KB as absolute paths for the workers; loading the model once here
    reports a missing model or KB before Ray starts."""
    from jointel.annotate.shards import Settings

    with load_annotator(model, kb, nil_threshold) as annotator:
        kb_path = None if model is None and kb is None else str(annotator.kb.path.resolve())
    model_path = None if model is None else str(model.resolve())
    return Settings(model_path, kb_path, output_format, shard_size, batch_size, nil_threshold, top_k)


def _warn_duplicates(console: Console, plan: CorpusPlan) -> None:
    if plan.duplicate_ids:
        document_id, places = next(iter(plan.duplicate_ids.items()))
        example = escape(f"{document_id!r} at {' and '.join(places[:2])}")
        console.print(
            f"[yellow]warning:[/yellow] {len(plan.duplicate_ids):,} ids occur more than once, "
            f"e.g. {example}; the output keeps every document",
            soft_wrap=True,
        )
