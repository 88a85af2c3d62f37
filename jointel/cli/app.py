"""The `jointel` command: a typer root with one sub-application per command group."""

from __future__ import annotations

import typer

from jointel.cli import annotate, data, evaluate, kb, serve, train

app = typer.Typer(
    name="jointel",
    help="Joint named-entity recognition and entity linking (NER+EL) for English text.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(data.app, name="data", help="Inspect the CoNLL-2003 + AIDA corpus.")
app.add_typer(kb.app, name="kb", help="Build and query the SQLite knowledge base of entities and aliases.")
app.command("evaluate-files")(evaluate.evaluate_files)
app.command("evaluate")(evaluate.evaluate_model)
app.command("train")(train.train_command)
app.command("annotate")(annotate.annotate_command)
app.command("serve")(serve.serve_command)


def main() -> None:
    app()
