"""User mistakes end with one line on stderr and exit code 1, never a traceback."""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

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
# SQLite errors that describe the machine or the file, not the code: a full disk, a damaged or unreadable file.
_SQLITE_CONDITIONS = re.compile(r"disk is full|disk I/O|malformed|not a database|unable to open|readonly|locked")


def reports_user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Wrap a CLI command so that a known user error prints `error: …` and exits 1."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except USER_ERRORS as error:
            _report(_message(error))
        except sqlite3.DatabaseError as error:
            if not _SQLITE_CONDITIONS.search(str(error)):
                raise  # a bug (a query SQLite cannot run): its traceback is what a developer needs
            _report(f"SQLite: {error} (nothing was changed)")

    return wrapper


def _report(message: str) -> NoReturn:
    Console(stderr=True).print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None


def _message(error: Exception) -> str:
    """One line: an OS error as `path: reason` (a full disk, a read-only file system), others as they say."""
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename is not None else error.strerror
    return str(error)
