"""Receive one file from a multipart/form-data body, straight to disk, under a byte cap.

Frameworks' form parsers spool the whole body before the route sees it, so a size check
after the fact has already let a client fill the disk. Here the body is read as it arrives
(`request.stream()`), each byte of the file part is counted as it is written, and reading
stops with a 413 the moment the cap is passed. Content-Length is never consulted: a chunked
body without one is counted the same way.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import anyio
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from plugin_sdk.params import FieldError
from server.api.errors import ApiError

MULTIPART_OVERHEAD = 64 * 1024  # part headers and boundaries on top of the file itself
MAX_PARTS = 16


@dataclass
class ReceivedFile:
    client_name: str  # as the browser sent it: metadata only, never a path
    path: Path
    size: int


@dataclass
class _Part:
    header_name: bytes = b""
    header_value: bytes = b""
    disposition: bytes = b""
    is_target: bool = False


@dataclass
class _State:
    field_name: str
    destination: Path
    part: _Part = field(default_factory=_Part)
    parts: int = 0
    handle: IO[bytes] | None = None
    client_name: str | None = None
    file_done: bool = False
    pending: list[bytes] = field(default_factory=list)


def too_large(cap_bytes: int) -> ApiError:
    return ApiError(413, f"The file is larger than the {cap_bytes // (1024 * 1024)} MB this server accepts.")


async def receive_file(request: Request, field_name: str, cap_bytes: int, destination: Path) -> ReceivedFile:
    """Write the first part named ``field_name`` that carries a file name to ``destination``.

    Raises `ApiError`: 415 for a body that is not multipart/form-data, 400 for a malformed
    one, 413 past the cap, 422 when no such file part came.
    """
    content_type, options = parse_options_header(request.headers.get("content-type"))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(415, f"Send the file as multipart/form-data, in a field named '{field_name}'.")
    state = _State(field_name, destination)
    parser = MultipartParser(options[b"boundary"], _callbacks(state))
    received = file_bytes = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > cap_bytes + MULTIPART_OVERHEAD:
                raise too_large(cap_bytes)
            parser.write(chunk)
            if state.pending:
                data, state.pending = b"".join(state.pending), []
                file_bytes += len(data)
                if file_bytes > cap_bytes:
                    raise too_large(cap_bytes)
                assert state.handle is not None
                await anyio.to_thread.run_sync(state.handle.write, data)
        parser.finalize()
    except MultipartParseError as exc:
        _discard(state)
        raise ApiError(400, "The upload is not a well-formed multipart/form-data body.") from exc
    except ClientDisconnect:
        _discard(state)
        raise ApiError(400, "The upload was interrupted.") from None
    except BaseException:
        _discard(state)
        raise
    if state.handle is not None:
        state.handle.close()
    if state.client_name is None:
        raise ApiError(422, f"Choose a file to upload (a multipart field named '{field_name}' with a file name).",
                       [FieldError("/" + field_name, "no file was sent")])
    return ReceivedFile(state.client_name, destination, file_bytes)


def _discard(state: _State) -> None:
    if state.handle is not None:
        state.handle.close()
    with contextlib.suppress(OSError):
        state.destination.unlink(missing_ok=True)


def _callbacks(state: _State) -> dict:
    def on_part_begin() -> None:
        state.parts += 1
        if state.parts > MAX_PARTS:
            raise MultipartParseError(f"more than {MAX_PARTS} parts")
        state.part = _Part()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state.part.header_name += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state.part.header_value += data[start:end]

    def on_header_end() -> None:
        if state.part.header_name.strip().lower() == b"content-disposition":
            state.part.disposition = state.part.header_value
        state.part.header_name = state.part.header_value = b""

    def on_headers_finished() -> None:
        _, options = parse_options_header(state.part.disposition)
        name = _decode(options.get(b"name", b""))
        if name == state.field_name and b"filename" in options and state.handle is None and not state.file_done:
            state.client_name = _decode(options[b"filename"])
            state.handle = open(state.destination, "wb")  # noqa: SIM115 - closed when the body ends
            state.part.is_target = True

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state.part.is_target:
            state.pending.append(data[start:end])

    def on_part_end() -> None:
        if state.part.is_target:
            state.file_done = True

    return {
        "on_part_begin": on_part_begin,
        "on_header_field": on_header_field,
        "on_header_value": on_header_value,
        "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
        "on_part_data": on_part_data,
        "on_part_end": on_part_end,
    }


def _decode(raw: bytes) -> str:
    # Browsers send names as raw UTF-8 bytes; anything else is shown as Latin-1 rather than refused.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
