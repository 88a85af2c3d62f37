"""Where a reported number came from: command, date, machine and git commit; and sections of a results file.

Every figure in README, RESULTS.md and BENCHMARKS.md is written by a script that calls `run_header()` and
`write_section()`, so a table always says how to reproduce it and is never typed by hand.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

from jointel.data.files import replaced_atomically


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def git_commit() -> str:
    """Short commit hash, with `+dirty` when tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=Path(__file__).parent).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def machine() -> str:
    return f"{os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}"


def run_header(command: str | None = None) -> str:
    """Markdown lines naming the command, date, machine and commit of a run."""
    command = command or " ".join(shlex.quote(arg) for arg in [Path(sys.argv[0]).name, *sys.argv[1:]])
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"Command: `{command}`  \nDate: {date}  \nMachine: {machine()}  \nGit commit: {git_commit()}\n"


def write_section(path: Path, name: str, text: str) -> None:
    """Replace (or append) the block between `<!-- name:start -->` and `<!-- name:end -->` in a Markdown file."""
    path = Path(path)
    block = f"<!-- {name}:start -->\n{text.rstrip()}\n<!-- {name}:end -->"
    pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.DOTALL)
    with replaced_atomically(path) as temp:  # read under the file's lock: two scripts never lose each other's section
        old = path.read_text() if path.is_file() else ""
        new = pattern.sub(lambda _: block, old) if pattern.search(old) else (old.rstrip() + "\n\n" + block).lstrip()
        temp.write_text(new.rstrip("\n") + "\n")  # one final newline, however often a section is rewritten
