"""The REST API: `POST /annotate` (typed), `POST /` (REL-compatible), `GET /health`, and the web page at `GET /`.

`create_app(load)` calls `load()` once at start-up and keeps the Annotator on `app.state`; endpoints are plain
functions, which FastAPI runs in its thread pool, so requests are served concurrently (the Annotator is read-only).
A text longer than `max_chars` is refused with 413, before its body is read when the request says its length; a
body that is not the expected JSON gets 422 with a message that says what is wrong.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from jointel.annotate import Annotator, Mention
from jointel.server.schemas import (
    AnnotateRequest,
    AnnotateResponse,
    Health,
    MentionOut,
    RelMention,
    RelRequest,
    rel_row,
)

STATIC = Path(__file__).parent / "static"
_BYTES_PER_CHAR = 4  # UTF-8 at worst; JSON escapes can take more, which the character check then catches
_BODY_OVERHEAD = 1 << 16  # room for the other fields and the spans


def create_app(load: Callable[[], Annotator], max_chars: int = 1_000_000) -> FastAPI:
    """The API around the Annotator that `load()` returns (called once, at start-up; closed at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.annotator = load()
        try:
            yield
        finally:
            app.state.annotator.close()

    app = FastAPI(
        title="jointel",
        summary="Joint named-entity recognition and entity linking to Wikipedia, on a CPU.",
        lifespan=lifespan,
    )
    app.state.max_chars = max_chars

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_chars * _BYTES_PER_CHAR + _BODY_OVERHEAD:
            return JSONResponse({"detail": f"request body of {length} bytes is too large"}, status_code=413)
        return await call_next(request)

    app.add_exception_handler(RequestValidationError, _validation_error)
    _add_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _add_routes(app: FastAPI) -> None:
    @app.post("/annotate", response_model=AnnotateResponse, responses={413: {"description": "Text too long."}})
    def annotate(body: AnnotateRequest, request: Request) -> AnnotateResponse:
        """Find the named entities of `text` with their type and Wikipedia entity (null = NIL), or link the
        given `spans` only."""
        spans = None if body.spans is None else [(span.start, span.end) for span in body.spans]
        mentions = _run(request, body.text, spans, body.nil_threshold, body.top_k)
        return AnnotateResponse(mentions=[MentionOut.of(mention) for mention in mentions])

    @app.post("/", response_model=list[RelMention], responses={413: {"description": "Text too long."}})
    def rel(body: RelRequest, request: Request) -> list[RelMention]:
        """REL-compatible: `{"text", "spans": [[start, length], …]}` in, `[[start, length, mention, entity,
        ed_score, ner_score, tag], …]` out; with spans, only those are linked (entity "NIL" when none fits)."""
        spans = [(start, start + length) for start, length in body.spans] if body.spans else None
        return [rel_row(mention) for mention in _run(request, body.text, spans, None, 0)]

    @app.get("/health", response_model=Health)
    def health(request: Request) -> Health:
        """The model is loaded and the server answers."""
        return Health(status="ok", max_chars=request.app.state.max_chars)

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")


def _run(
    request: Request, text: str, spans: list[tuple[int, int]] | None, nil_threshold: float | None, top_k: int
) -> list[Mention]:
    limit = request.app.state.max_chars
    if len(text) > limit:
        raise HTTPException(413, f"text has {len(text)} characters; this server accepts at most {limit}")
    annotator: Annotator = request.app.state.annotator
    if spans is None:
        return annotator.annotate(text, nil_threshold=nil_threshold, top_k=top_k)
    try:
        return annotator.link(text, spans, nil_threshold=nil_threshold, top_k=top_k)
    except ValueError as error:  # a span outside the text or over whitespace only
        raise HTTPException(422, str(error)) from None


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 with one readable line (`detail`) beside FastAPI's structured `errors`."""
    problems = []
    for item in error.errors():
        if item["type"] == "json_invalid":
            reason = item.get("ctx", {}).get("error", "invalid JSON")
            problems.append(f"request body is not valid JSON: {reason} at character {item['loc'][-1]}")
        else:
            where = ".".join(str(part) for part in item["loc"] if part != "body") or "body"
            problems.append(f"{where}: {item['msg']}")
    return JSONResponse({"detail": "; ".join(problems), "errors": jsonable_encoder(error.errors())}, status_code=422)
