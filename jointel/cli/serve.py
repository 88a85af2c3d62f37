"""`jointel serve`: the REST API and its web page (FastAPI + uvicorn), the annotator loaded once per process.

With `--workers N` uvicorn runs N processes, each with its own model, and starts each by importing the app factory
`worker_app` by name: nothing but the environment reaches it, so the command leaves its settings there, as JSON.
Each worker computes with the torch threads of the command (`jointel --threads`, default 1), as one process does:
spawned, they would otherwise take torch's default of every core each, and fight over them.
The limits' defaults are `jointel.server.limits.ServerLimits`'s, repeated here for --help (a test checks that they
agree): importing the server to read them would load FastAPI for every command.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from jointel.annotate import Annotator
from jointel.cli.annotate import KBOption, ModelOption, load_annotator
from jointel.cli.errors import UsageError, reports_user_errors

if TYPE_CHECKING:
    from fastapi import FastAPI

_SETTINGS = "JOINTEL_SERVE_SETTINGS"


@reports_user_errors
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    model: ModelOption = None,
    kb: KBOption = None,
    nil_threshold: Annotated[float | None, typer.Option(help="Links below this probability become NIL.")] = None,
    max_chars: Annotated[
        int, typer.Option(min=1, help="Longest text; also the most text × overlap depth one request may link.")
    ] = 100_000,
    max_spans: Annotated[int, typer.Option(min=0, help="Most spans one request may ask to link.")] = 2_000,
    workers: Annotated[int, typer.Option(min=1, help="Processes, each with its own model (memory × N).")] = 1,
    max_concurrent: Annotated[int, typer.Option(min=1, help="Requests each process annotates at once.")] = 1,
    max_queued: Annotated[
        int, typer.Option(min=0, help="Requests each process keeps waiting; past them, HTTP 503 with Retry-After.")
    ] = 8,
) -> None:
    """Serve POST /annotate, the REL-compatible POST /, GET /health and the web page at http://HOST:PORT/.

    Each process holds one model and annotates --max-concurrent requests at a time, each within --max-chars and
    --max-spans, so its memory stays bounded whatever clients send: under 1 GB with the defaults.
    """
    import torch
    import uvicorn

    from jointel.server import ServerLimits, create_app

    limits = {
        "max_chars": max_chars,
        "max_spans": max_spans,
        "max_concurrent": max_concurrent,
        "max_queued": max_queued,
    }
    if workers == 1:
        annotator = _load(model, kb, nil_threshold)  # before serving: a bad path or a damaged KB is one line
        typer.echo(f"jointel: serving on http://{host}:{port}/ (API docs at /docs)", err=True)
        uvicorn.run(create_app(lambda: annotator, ServerLimits(**limits)), host=host, port=port, log_level="info")
        return
    _load(model, kb, nil_threshold).close()  # the same check; each worker then loads its own, and this one is freed
    typer.echo(f"jointel: serving on http://{host}:{port}/ with {workers} workers (API docs at /docs)", err=True)
    paths = {"model": None if model is None else str(model), "kb": None if kb is None else str(kb)}
    threads = torch.get_num_threads()
    os.environ[_SETTINGS] = json.dumps({**paths, "nil_threshold": nil_threshold, "limits": limits, "threads": threads})
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=workers, host=host, port=port, log_level="info")


def worker_app() -> FastAPI:
    """The app of one `--workers` process, from the settings that `serve_command` left in the environment."""
    import torch

    from jointel.server import ServerLimits, create_app

    settings = json.loads(os.environ[_SETTINGS])
    torch.set_num_threads(settings["threads"])
    model, kb = (None if settings[name] is None else Path(settings[name]) for name in ("model", "kb"))
    return create_app(lambda: _load(model, kb, settings["nil_threshold"]), ServerLimits(**settings["limits"]))


def _load(model: Path | None, kb: Path | None, nil_threshold: float | None) -> Annotator:
    """`load_annotator`, with a KB damaged past its first pages reported as one line (KB() only reads those)."""
    try:
        return load_annotator(model, kb, nil_threshold)
    except sqlite3.DatabaseError as error:
        where = kb if kb is not None else "the knowledge base"
        raise UsageError(f"{where}: cannot be read ({error}); rebuild it with `jointel kb build`") from None
