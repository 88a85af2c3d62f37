"""The REST API: `POST /annotate` (typed), `POST /` (REL-compatible), `GET /health`, and the web page at `GET /`.

`create_app(load)` calls `load()` once at start-up, keeps the Annotator on `app.state` and annotates one example
sentence, so that /health reports a knowledge base that cannot be read instead of answering "ok" over it. The
model runs on `max_concurrent` threads of its own (the Annotator is read-only), one request each, with
`max_queued` waiting; past that a request gets 503 with Retry-After. A text over `max_chars`, more spans than
`max_spans`, or spans overlapping so deeply that linking would read more than `max_chars` are refused with 413,
and so is a body too large to hold a request within those limits, before more of it is read (`limits.py`).
Errors are JSON with a one-line `detail` (`errors.py`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from jointel.annotate import Annotator, Mention
from jointel.server.errors import add_error_handlers, knowledge_base_problem, require_json
from jointel.server.limits import DEFAULT_LIMITS, BodyLimit, ServerLimits, WorkSlots, overlap_depth
from jointel.server.schemas import (
    EXAMPLE,
    AnnotateRequest,
    AnnotateResponse,
    Health,
    MentionOut,
    RelMention,
    RelRequest,
    rel_row,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATIC = Path(__file__).parent / "static"
_REFUSALS = {
    413: {"description": "Text too long, too many spans, or spans overlapping too deeply for the text's length."},
    415: {"description": "The body is not sent as application/json."},
    503: {"description": "Busy: retry after the Retry-After header's seconds."},
}


def create_app(load: Callable[[], Annotator], limits: ServerLimits = DEFAULT_LIMITS) -> FastAPI:
    """The API around the Annotator that `load()` returns (called once, at start-up; closed at shutdown)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.annotator = load()
        app.state.work_slots = WorkSlots(limits.max_concurrent, limits.max_queued)
        # The model's own threads, not FastAPI's pool of 40: each thread that allocates gets a malloc arena of its
        # own, and arenas keep what they freed (benchmarks/memory.py, accurate model's server: peak 991 MB on
        # FastAPI's pool, 971 MB on one thread of its own).
        app.state.model_threads = ThreadPoolExecutor(limits.max_concurrent, thread_name_prefix="jointel-model")
        app.state.problem = await _on_model_thread(app, _self_test, app.state.annotator)
        try:
            yield
        finally:
            app.state.model_threads.shutdown()
            app.state.annotator.close()

    app = FastAPI(
        title="jointel",
        summary="Joint named-entity recognition and entity linking to Wikipedia, on a CPU.",
        lifespan=lifespan,
    )
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    add_error_handlers(app)
    _add_routes(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _self_test(annotator: Annotator) -> str | None:
    """None if the example sentence annotates, else what is wrong.

    Opening the KB reads only its first pages, and loading the gazetteer a few tables; the example's lookups go
    through the indexes every text's do (aliases, entities, titles), in a tenth of a second. `PRAGMA quick_check`
    would read every page (seconds on the 890 MB Wikipedia KB) and also flags KBs that work.
    """
    try:
        annotator.annotate(EXAMPLE)
    except sqlite3.DatabaseError as error:
        logger.error("self-test failed: %s", knowledge_base_problem(error))
        return knowledge_base_problem(error)
    return None


def _add_routes(app: FastAPI) -> None:
    @app.post("/annotate", response_model=AnnotateResponse, responses=_REFUSALS, dependencies=[Depends(require_json)])
    async def annotate(body: AnnotateRequest, request: Request) -> AnnotateResponse:
        """Find the named entities of `text` with their type and Wikipedia entity (null = NIL), or link the
        given `spans` only."""
        spans = None if body.spans is None else [(span.start, span.end) for span in body.spans]
        mentions = await _run(request, body.text, spans, body.nil_threshold, body.top_k)
        return AnnotateResponse(mentions=[MentionOut.of(mention) for mention in mentions])

    @app.post("/", response_model=list[RelMention], responses=_REFUSALS, dependencies=[Depends(require_json)])
    async def rel(body: RelRequest, request: Request) -> list[RelMention]:
        """REL-compatible: `{"text", "spans": [[start, length], …]}` in, `[[start, length, mention, entity,
        ed_score, ner_score, tag], …]` out; with spans, only those are linked (entity "NIL" when none fits)."""
        spans = [(start, start + length) for start, length in body.spans] if body.spans else None
        return [rel_row(mention) for mention in await _run(request, body.text, spans, None, 0)]

    @app.get("/health", response_model=Health, responses={503: {"model": Health, "description": "Cannot annotate."}})
    async def health(request: Request, response: Response) -> Health:
        """ok when the example sentence annotated at start-up and no request has failed on the KB since."""
        state = request.app.state
        if state.problem is not None:
            response.status_code = 503
        return Health(
            status="ok" if state.problem is None else "error",
            max_chars=state.limits.max_chars,
            max_spans=state.limits.max_spans,
            detail=state.problem,
        )

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")


async def _run(
    request: Request, text: str, spans: list[tuple[int, int]] | None, nil_threshold: float | None, top_k: int
) -> list[Mention]:
    """The annotator's mentions, once the request has passed the size limits and got a turn at the model."""
    _check_size(text, spans, request.app.state.limits)
    annotator: Annotator = request.app.state.annotator
    async with request.app.state.work_slots.turn():
        app = request.app
        if spans is None:
            return await _on_model_thread(app, annotator.annotate, text, nil_threshold=nil_threshold, top_k=top_k)
        try:
            return await _on_model_thread(app, annotator.link, text, spans, nil_threshold=nil_threshold, top_k=top_k)
        except ValueError as error:  # a span outside the text or over whitespace only
            raise HTTPException(422, str(error)) from None


async def _on_model_thread(app: FastAPI, function: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`function(*args, **kwargs)` on one of the model's threads, awaited."""
    call = functools.partial(function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(app.state.model_threads, call)


def _check_size(text: str, spans: list[tuple[int, int]] | None, limits: ServerLimits) -> None:
    """413 for a text over `max_chars`, more spans than `max_spans`, or spans overlapping so deeply that linking
    them reads more than `max_chars` characters (`Annotator.link` links each layer in its own copy of the text)."""
    if len(text) > limits.max_chars:
        raise HTTPException(413, f"text has {len(text)} characters; this server accepts at most {limits.max_chars}")
    if spans is None:
        return
    if len(spans) > limits.max_spans:
        raise HTTPException(413, f"{len(spans)} spans; this server links at most {limits.max_spans} per request")
    depth = overlap_depth(spans)
    if len(text) * depth > limits.max_chars:
        raise HTTPException(
            413,
            f"{depth} spans overlap at one place, so linking reads the text of {len(text)} characters {depth} times; "
            f"this server reads at most {limits.max_chars} characters per request",
        )
