"""User mistakes end with one line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from jointel.data import DataFormatError
from jointel.kb.extend import UnknownEntityError
from jointel.model.config import ConfigError

P = ParamSpec("P")
R = TypeVar("R")


class UsageError(ValueError):
    """A command that cannot be carried out as given (an output that is also an input, nothing to do)."""


USER_ERRORS: tuple[type[Exception], ...] = (DataFormatError, ConfigError, UnknownEntityError, UsageError, OSError)


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command so that a known user error prints `error: …` and exits 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            message = escape(_message(error))
            Console(stderr=True).print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper


def _message(error: Exception) -> str:
    """One line: an OS error as `path: reason` (a full disk, a read-only file system), others as they say."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename is not None else error.strerror
    return str(error)
