"""What one request may take from the server: the bytes of its body, the work it asks for, a turn at the model.

Together they bound a process's memory by design (`ServerLimits`): at most `max_concurrent` requests run the
model at once, each within limits whose largest requests were measured, so the peak is the loaded model plus
`max_concurrent` times that.

- `BodyLimit` counts the bytes of a body as they arrive and answers 413 as soon as they pass the limit. A chunked
  body has no Content-Length to check first, and reading it whole before refusing it let 200 MB into memory.
- `overlap_depth` counts how many times the model reads a text to link spans: `Annotator.link` links each layer
  of overlapping spans in its own copy of their documents, so a few hundred identical spans over a short text
  cost more than the longest text allowed.
- `WorkSlots` lets `max_concurrent` requests run and `max_queued` wait; the next is refused at once with 503 and
  Retry-After, so that a crowd of clients gets a quick answer instead of a pile of waiting bodies.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_AFTER_SECONDS = 1
_BYTES_PER_CHAR = 12  # the most JSON can spend on one code point: an escaped surrogate pair, "\ud83d\ude00"
_BYTES_PER_SPAN = 64  # {"start": 99999, "end": 100000} and room for indentation
_BODY_OVERHEAD = 1 << 16  # room for the other fields


@dataclass(frozen=True)
class ServerLimits:
    """What one server process accepts. With the defaults, one process stays under 1 GB with the bundled model,
    with its own KB or the 890 MB Wikipedia KB, for the costliest requests we could shape (measured for issue 20:
    a span on every other token, spans stacked a hundred deep, the top 100 candidates of 14,000 mentions).

    The costs behind them: finding mentions reads a text in model calls of bounded size, but linking given spans
    reads all their documents in one call, once per layer of overlapping spans, and holds the candidates of every
    span at once (about 30 kB a span with 30 candidates).
    """

    max_chars: int = 100_000  # longest text; also the most text times overlap depth a link request may ask for
    max_spans: int = 2_000  # spans one link request may give (AIDA's longest document has 341 mentions)
    max_concurrent: int = 1  # requests that run the model at once: one core's worth, the decoder holds the GIL
    max_queued: int = 8  # requests waiting for a turn; the next gets 503 at once

    @property
    def max_body_bytes(self) -> int:
        """The largest body that can hold a request within the limits, however its JSON is written."""
        return self.max_chars * _BYTES_PER_CHAR + self.max_spans * _BYTES_PER_SPAN + _BODY_OVERHEAD


DEFAULT_LIMITS = ServerLimits()


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` gets 413 without being read past the limit.

    A body within the limit is read here and handed to the app in one message, so the app never sees a partial
    one; the app would have read it whole anyway.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(f"request body of {declared} bytes", scope, receive, send)
            return
        body = await _read_body(receive, self.max_bytes)
        if body is None:
            await self._refuse("request body", scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, what: str, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"{what} is larger than the {self.max_bytes} bytes this server reads"
        # Connection: close, because the rest of the body is never read: the connection cannot carry another request.
        response = JSONResponse({"detail": detail}, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


async def _read_body(receive: Receive, max_bytes: int) -> bytes | None:
    """The whole body, or None as soon as it has passed `max_bytes` (the rest is left unread)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away: the app's answer will go nowhere
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` in one message, then whatever the client sends next (its disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def overlap_depth(spans: Sequence[tuple[int, int]]) -> int:
    """The most spans that share one character: the number of layers `Annotator.link` links them in.

    Empty or reversed spans cover nothing (the annotator refuses them with its own message).
    """
    edges = sorted((offset, step) for start, end in spans if start < end for offset, step in ((start, 1), (end, -1)))
    depth = deepest = 0
    for _, step in edges:  # at one offset, ends (-1) sort before starts (+1): touching spans do not overlap
        depth += step
        deepest = max(deepest, depth)
    return deepest


class WorkSlots:
    """Turns at the model: `max_concurrent` requests run at once and `max_queued` wait, first come first served.

    Make it inside the running event loop (at start-up): asyncio primitives belong to one loop. The count of
    admitted requests needs no lock, because only the event loop's thread touches it.
    """

    def __init__(self, max_concurrent: int, max_queued: int):
        self._running = asyncio.Semaphore(max_concurrent)
        self._capacity = max_concurrent + max_queued
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Requests running or waiting now."""
        return self._admitted

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a turn; past the queue's capacity, raise 503 with Retry-After at once."""
        if self._admitted >= self._capacity:
            raise HTTPException(
                503,
                f"the server is busy ({self._admitted} requests running or waiting); retry in a moment",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self._admitted += 1
        try:
            async with self._running:
                yield
        finally:
            self._admitted -= 1
