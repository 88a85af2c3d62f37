"""Progress bars on stderr, for a person at a terminal: long commands show one, files and pipes get none."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def progress_bar(label: str, transient: bool = False) -> Progress:
    """A bar `label [████    ] done/total remaining` on stderr (`transient`: erased when done).

    Off when stderr is no terminal: rich then draws nothing but a blank line at the end, above any error message.
    """
    console = Console(stderr=True)
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    return Progress(*columns, console=console, transient=transient, disable=not console.is_interactive)
