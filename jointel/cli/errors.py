"""User mistakes end with one line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from jointel.data import DataFormatError
from jointel.kb.extend import UnknownEntityError
from jointel.model.config import ConfigError

P = ParamSpec("P")
R = TypeVar("R")

USER_ERRORS: tuple[type[Exception], ...] = (
    DataFormatError,
    ConfigError,
    FileNotFoundError,
    FileExistsError,
    NotADirectoryError,
    PermissionError,
    UnknownEntityError,
)


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command so that a known user error prints `error: …` and exits 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
