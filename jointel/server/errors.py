"""How the server says no: every refusal and failure is a JSON body whose `detail` is one readable line.

415 for a body not sent as JSON, 422 for a payload that does not fit the schema (with FastAPI's structured `errors`
beside the line), 500 when the knowledge base cannot be read. An answer never fails to encode: Python's JSON parser
accepts `NaN`, `Infinity` and lone surrogates (`"\\ud800"`), which an error answer echoes and JSON cannot carry, so
they are spelled out first (`json_safe`).
"""

from __future__ import annotations

import logging
import math
import sqlite3

from fastapi import FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from jointel.data.unicode import valid_unicode

logger = logging.getLogger(__name__)

JSON = "application/json"


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sqlite3.DatabaseError, _knowledge_base_error)


async def require_json(request: Request) -> None:
    """415 unless the body is declared JSON: FastAPI would read any other body as bytes and answer a 422 about a
    "valid dictionary" that hides the real mistake (curl's `-d` sends a form type unless told otherwise)."""
    content_type = request.headers.get("content-type")
    if content_type is None or not _is_json(content_type):
        found = f"not {content_type!r}" if content_type else "and the request has none"
        raise HTTPException(415, f"Content-Type must be {JSON}, {found}", headers={"Accept": JSON})


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == JSON or (media_type.startswith("application/") and media_type.endswith("+json"))


def json_safe(value: object) -> object:
    """`value`, made of JSON types, with NaN and ±Infinity as the strings JSON5 writes for them and each lone
    surrogate replaced by U+FFFD: what JSON cannot carry, spelled so that the answer can be encoded."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


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
    body = {"detail": "; ".join(problems), "errors": jsonable_encoder(error.errors())}
    return JSONResponse(json_safe(body), status_code=422)


def knowledge_base_problem(error: sqlite3.DatabaseError) -> str:
    """The one line that /health and a failed request give for a KB that SQLite cannot read."""
    return f"the knowledge base could not be read ({error}); rebuild it with `jointel kb build`"


async def _knowledge_base_error(request: Request, error: sqlite3.DatabaseError) -> JSONResponse:
    """500 with one line, and /health reports it from now on: the KB file is damaged, which no retry will mend."""
    problem = knowledge_base_problem(error)
    logger.error("%s %s: %s", request.method, request.url.path, problem)
    request.app.state.problem = problem
    return JSONResponse({"detail": problem}, status_code=500)
