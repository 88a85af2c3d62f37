"""`jointel train`: train the joint model (or a single-task variant) from a config file and/or field options.

Every field of `ModelConfig` is also an option (`--hidden 200`, `--el-weight 0`): options override the file.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from jointel.cli.data import load_corpus_with_status
from jointel.cli.errors import reports_user_errors
from jointel.cli.outputs import check_output_directory
from jointel.cli.paths import default_contextual_cache, default_kb_path
from jointel.cli.progress import progress_bar
from jointel.kb.lookup import KB
from jointel.model.config import ModelConfig, field_minimum
from jointel.train.distil import check_teachers
from jointel.train.loop import EpochResult, train_model


def train(
    config: Path | None = None,
    out: Path = Path("runs/joint"),
    resume: bool = False,
    data_dir: Path | None = None,
    kb: Path | None = None,
    teacher: list[Path] | None = None,
    **overrides: typing.Any,
) -> None:
    """Train on CoNLL/AIDA train, early-stop on testa; the best model goes to OUT/model (`--train-with-dev`: train
    on testa too for all epochs, and keep the last). `--teacher DIR --distil-weight A`: learn from the model in DIR
    too (knowledge distillation); `--teacher` again for each more teacher, whose mean is learnt (an ensemble)."""
    check_output_directory(out, "--out")
    settings = ModelConfig.load(config) if config else ModelConfig()
    if resume and (out / "model" / "config.json").is_file() and config is None:
        settings = ModelConfig.load(out / "model" / "config.json", saved_model=True)
    settings = dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None})
    teachers = teacher or []
    check_teachers(settings, teachers)
    if teachers and settings.distil_weight > 0:  # a run input, not a model setting: said, not saved
        weights = f"distil_weight {settings.distil_weight}, distil_temperature {settings.distil_temperature}"
        Console().print(escape(f"distilling from {', '.join(map(str, teachers))} ({weights})"))
    corpus = load_corpus_with_status(data_dir)
    with KB(kb or default_kb_path()) as knowledge_base, progress_bar("training") as progress:
        task = progress.add_task("epoch 1", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        history = train_model(
            settings,
            corpus["train"],
            corpus["testa"],
            knowledge_base,
            out,
            resume,
            advance,
            default_contextual_cache(),
            teachers,
        )
    Console().print(history_table(history))
    kept = "model of the last epoch (trained on testa too)" if settings.train_with_dev else "best model"
    Console().print(escape(f"{kept}: {out / 'model'}; curve: {out / 'training_curve.png'}"))


def history_table(history: list[EpochResult]) -> Table:
    table = Table(title="training")
    for column in ("epoch", "NER loss", "EL loss", "dev NER F1", "dev EL F1", "dev ED acc", "sent/s"):
        table.add_column(column, justify="right")
    for row in history:
        table.add_row(
            str(row.epoch),
            f"{row.ner_loss:.4f}",
            f"{row.el_loss:.4f}",
            f"{100 * row.dev_ner_f1:.2f}",
            f"{100 * row.dev_el_f1:.2f}",
            f"{100 * row.dev_ed_accuracy:.2f}",
            f"{row.sentences_per_second:.0f}",
        )
    return table


def _with_config_options(function: typing.Callable) -> typing.Callable:
    """Give `function` one typed option per ModelConfig field, so typer parses `--hidden 200` into an int."""
    hints = typing.get_type_hints(ModelConfig)
    signature = inspect.signature(function)
    fixed = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    fixed = [
        fixed[0].replace(annotation=Annotated[Path | None, typer.Option(help="JSON config (ModelConfig fields).")]),
        fixed[1].replace(annotation=Annotated[Path, typer.Option(help="Output directory.")]),
        fixed[2].replace(annotation=Annotated[bool, typer.Option(help="Continue from OUT/checkpoint.pt.")]),
        fixed[3].replace(annotation=Annotated[Path | None, typer.Option(help="Data directory.")]),
        fixed[4].replace(annotation=Annotated[Path | None, typer.Option(help="Knowledge base (kb.sqlite).")]),
        fixed[5].replace(
            annotation=Annotated[
                list[Path] | None,
                typer.Option(help="Teacher model directory to distil from (with --distil-weight); repeat for more."),
            ]
        ),
    ]
    options = [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[hints[field.name] | None, _config_option(field.name, hints[field.name])],
        )
        for field in dataclasses.fields(ModelConfig)
    ]

    def wrapper(**kwargs: typing.Any) -> None:
        positional = [kwargs.pop(p.name) for p in fixed]
        function(*positional, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=fixed + options)  # type: ignore[attr-defined]
    wrapper.__doc__ = function.__doc__
    wrapper.__name__ = function.__name__
    return reports_user_errors(wrapper)


def _config_option(name: str, kind: type) -> typer.models.OptionInfo:
    """The option of a config field; a number below the field's minimum (`--batch-size 0`) is a usage error."""
    default = f"default {getattr(ModelConfig, name)}"
    if kind in (int, float):
        return typer.Option(min=field_minimum(name), help=default)
    return typer.Option(help=default)


train_command = _with_config_options(train)
