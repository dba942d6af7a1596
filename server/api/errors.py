"""Every error the API gives, in one JSON shape, whatever raised it.

    {"error": {"status": 422, "message": "...", "field_errors": [{"field", "message", "column", "row", "table"}]}}

Malformed input of any kind is a 4xx here; only a bug reaches the catch-all, which logs the
traceback and answers a plain 500 that tells the user nothing about the server's insides.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from plugin_sdk.findings import json_pointer
from plugin_sdk.params import FieldError, RequestInvalid
from plugin_sdk.tables import TableError
from server.jobs.service import TooBusy, UnknownPlugin

log = logging.getLogger(__name__)

RETRY_AFTER_S = 30  # a queue slot frees when a job ends; most plots take seconds
INTERNAL_MESSAGE = "Something went wrong on the server. Please try again; if it keeps happening, tell its operator."

# Where a run request sits inside a request body, so field pointers are always relative to
# the RunRequest (the form's own coordinates), whichever route received it.
_RUN_REQUEST_FIELD = {("POST", "/api/jobs"): "request"}


class ApiError(Exception):
    """An error answer: status, a sentence for the user and, optionally, the fields at fault."""

    def __init__(self, status: int, message: str, field_errors: Iterable[FieldError] = (),
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field_errors = list(field_errors)
        self.headers = headers


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body is read; an HTTPException because FastAPI turns any other error
    raised while it reads a body into a 400."""

    def __init__(self, limit_bytes: int) -> None:
        super().__init__(413, f"The request is larger than {limit_bytes // (1024 * 1024)} MB.")


def error_body(status: int, message: str, field_errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    return {"error": {"status": status, "message": message, "field_errors": [e.to_dict() for e in field_errors]}}


def error_response(status: int, message: str, field_errors: Sequence[FieldError] = (),
                   headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, field_errors), status_code=status, headers=headers)


def table_field_error(exc: TableError) -> FieldError:
    return FieldError(json_pointer("tables", exc.table), str(exc), column=exc.column, row=exc.row, table=exc.table)


# -- handlers ---------------------------------------------------------------------------------


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.field_errors, exc.headers)


async def _http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) and exc.detail else _phrase(exc.status_code)
    if exc.status_code == 404 and message == _phrase(404):
        message = "There is nothing at this address."
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    wrapper = _RUN_REQUEST_FIELD.get((request.method, request.url.path))
    errors = [_pydantic_field_error(error, wrapper) for error in exc.errors()]
    message = errors[0].message if len(errors) == 1 else f"{len(errors)} fields are not valid: {errors[0].message}"
    return error_response(422, message, errors)


async def _request_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestInvalid)
    first = exc.errors[0].message
    message = first if len(exc.errors) == 1 else f"{first} (and {len(exc.errors) - 1} more problems)"
    return error_response(422, message, exc.errors)


async def _too_busy(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(429, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})


async def _unknown_plugin(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(404, str(exc))


async def _table_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TableError)
    return error_response(422, str(exc), [table_field_error(exc)])


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL_MESSAGE, headers={"X-Content-Type-Options": "nosniff"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RequestInvalid, _request_invalid)
    app.add_exception_handler(TooBusy, _too_busy)
    app.add_exception_handler(UnknownPlugin, _unknown_plugin)
    app.add_exception_handler(TableError, _table_error)
    app.add_exception_handler(Exception, _unexpected)


# -- FastAPI's own validation errors, in our words --------------------------------------------


def _pydantic_field_error(error: dict[str, Any], run_request_field: str | None) -> FieldError:
    if error.get("type") == "json_invalid":  # its location is a character offset, not a field
        return FieldError("", "The request body is not valid JSON.")
    location = list(error.get("loc") or ())
    if location and location[0] == "body":
        location = location[1:]
        if run_request_field and location and location[0] == run_request_field:
            location = location[1:]
    # Query, path and header parameters keep their place as the first segment: "/query/limit".
    pointer = json_pointer(*location) if location else ""
    return FieldError(pointer, _readable(error, location))


def _readable(error: dict[str, Any], location: list[Any]) -> str:
    what = error.get("msg") or "is not valid"
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    if kind == "missing":
        name = location[-1] if location else "a value"
        return f"{name} is required."
    name = ".".join(str(part) for part in location[1:] if not isinstance(part, int)) if location and \
        location[0] in ("query", "path", "header", "cookie") else ".".join(str(p) for p in location)
    return f"{name}: {what}" if name else str(what)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
