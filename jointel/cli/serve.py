"""`jointel serve`: the REST API and its web page (FastAPI + uvicorn), the annotator loaded once at start-up."""

from __future__ import annotations

from typing import Annotated

import typer

from jointel.cli.annotate import KBOption, ModelOption, load_annotator
from jointel.cli.errors import reports_user_errors


@reports_user_errors
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    model: ModelOption = None,
    kb: KBOption = None,
    nil_threshold: Annotated[float | None, typer.Option(help="Links below this probability become NIL.")] = None,
    max_chars: Annotated[int, typer.Option(help="Longest text accepted; longer ones get HTTP 413.")] = 1_000_000,
) -> None:
    """Serve POST /annotate, the REL-compatible POST /, GET /health and the web page at http://HOST:PORT/."""
    import uvicorn

    from jointel.server.app import create_app

    annotator = load_annotator(model, kb, nil_threshold)  # here, so that a bad path fails before the server starts
    typer.echo(f"jointel: serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(create_app(lambda: annotator, max_chars=max_chars), host=host, port=port, log_level="info")
