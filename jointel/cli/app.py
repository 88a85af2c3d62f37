"""The `jointel` command: a typer root with one sub-application per command group."""

from __future__ import annotations

from typing import Annotated

import torch
import typer

from jointel.cli import annotate, calibrate, data, ensemble, evaluate, kb, serve, train
from jointel.cli.corpus import annotate_corpus_command

app = typer.Typer(
    name="jointel",
    help="Joint named-entity recognition and entity linking (NER+EL) for English text.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def options(
    threads: Annotated[
        int,
        typer.Option(
            "--threads",
            min=1,
            help="PyTorch threads. jointel runs many small operations: on a quiet 2-core machine a second thread "
            "gained 7% (BENCHMARKS.md), with the other core busy it was 20 times slower. To use more cores, use "
            "processes (annotate-corpus --workers).",
        ),
    ] = 1,
) -> None:
    """Joint named-entity recognition and entity linking (NER+EL) for English text."""
    torch.set_num_threads(threads)


app.add_typer(data.app, name="data", help="Inspect the CoNLL-2003 + AIDA corpus.")
app.add_typer(kb.app, name="kb", help="Build and query the SQLite knowledge base of entities and aliases.")
app.command("evaluate-files")(evaluate.evaluate_files)
app.command("evaluate")(evaluate.evaluate_command)
app.command("calibrate")(calibrate.calibrate_command)
app.command("train")(train.train_command)
app.command("ensemble")(ensemble.ensemble_command)
app.command("annotate")(annotate.annotate_command)
app.command("annotate-corpus")(annotate_corpus_command)
app.command("serve")(serve.serve_command)


def main() -> None:
    app()
