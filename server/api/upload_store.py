"""Uploaded tables: received to disk under a cap, checked, kept per session.

    <data_dir>/uploads/<owner hash>/<id>.<kind>   the file, under a generated name
    <data_dir>/uploads/<owner hash>/<id>.json     its metadata: client name, size, kind, preview

The client's file name is metadata only (shown, never used as a path). Only TSV, CSV, TXT
and XLSX are kept: a serialised R object (.rds, .RData) runs code when R reads it
(CVE-2024-27322), and anything else is no table. An XLSX is checked for expansion bombs
before openpyxl opens it, and openpyxl (with defusedxml installed) refuses XML entity
attacks. A file that is kept has parsed as a table with the same reader the runs use.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
from starlette.requests import Request

from plugin_sdk.params import FieldError
from plugin_sdk.tables import Table, TableError, TableLimits, check_xlsx_container, read_table_file
from server.api.errors import ApiError
from server.api.multipart import receive_file

FIELD_NAME = "file"
KINDS = ("tsv", "csv", "txt", "xlsx")
PREVIEW_ROWS = 50
SNIFF_BYTES = 8192
MAX_NAME_CHARS = 255
UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_R_SERIALISED = {"rds", "rdata", "rda"}
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class UploadRecord:
    id: str
    name: str
    size: int
    kind: str
    created_at: str
    table: dict[str, Any]  # {"columns", "rows" (the first 50), "n_rows"}

    @property
    def file_name(self) -> str:
        """The generated name the file has on disk and inside a job's uploads folder."""
        return f"{self.id}.{self.kind}"

    def info(self) -> dict[str, Any]:
        """The API's answer for this upload."""
        return {"id": self.id, "name": self.name, "size": self.size, "kind": self.kind, "table": self.table}


class UploadStore:
    def __init__(self, root: Path, limits: TableLimits) -> None:
        self.root = root
        self.limits = limits  # limits.max_bytes is the upload cap

    def owner_dir(self, owner: str) -> Path:
        # A hash, so an owner id never becomes a path component as written.
        return self.root / hashlib.sha256(owner.encode()).hexdigest()[:32]

    # -- receive --------------------------------------------------------------------------------

    async def receive(self, owner: str, request: Request) -> UploadRecord:
        """Stream the request's file to disk, check it, keep it; raises `ApiError` (413/415/422/400)."""
        folder = self.owner_dir(owner)
        folder.mkdir(parents=True, exist_ok=True)
        upload_id = secrets.token_urlsafe(18)
        incoming = folder / f".incoming-{upload_id}"
        received = await receive_file(request, FIELD_NAME, self.limits.max_bytes, incoming)
        final: Path | None = None
        try:
            name = display_name(received.client_name)
            kind = kind_of(name)
            final = folder / f"{upload_id}.{kind}"
            os.replace(incoming, final)
            try:
                table = await anyio.to_thread.run_sync(self._check_table, final, name, kind)
            except TableError as exc:
                raise ApiError(422, f"'{name}' {exc.message}", [
                    FieldError("/" + FIELD_NAME, exc.message, column=exc.column, row=exc.row, table=name)
                ]) from exc
            record = UploadRecord(
                id=upload_id, name=name, size=received.size, kind=kind,
                created_at=datetime.now(UTC).isoformat(), table=_preview(table),
            )
            _write_json(folder / f"{upload_id}.json", asdict(record))
            return record
        except BaseException:
            for leftover in (incoming, final):
                if leftover is not None:
                    with contextlib.suppress(OSError):
                        leftover.unlink(missing_ok=True)
            raise

    def _check_table(self, path: Path, name: str, kind: str) -> Table:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if kind == "xlsx":
            if not head.startswith(b"PK\x03\x04"):
                raise ApiError(415, f"'{name}' is not an Excel .xlsx workbook.")
            check_xlsx_container(path, name, self.limits)
        elif b"\x00" in head and not head.startswith(_UTF16_BOMS):
            raise ApiError(415, f"'{name}' is not a text table (it holds binary data). Upload TSV, CSV, TXT or XLSX.")
        try:
            return read_table_file(path, name, self.limits)
        except TableError:
            raise
        except Exception as exc:  # openpyxl and defusedxml raise many kinds on a hostile workbook
            raise TableError(name, f"is not a readable .xlsx file ({type(exc).__name__})") from exc

    # -- look up --------------------------------------------------------------------------------

    def get(self, owner: str, upload_id: str) -> UploadRecord | None:
        """The owner's upload, or None (unknown id, someone else's, or not an id at all)."""
        if not isinstance(upload_id, str) or not UPLOAD_ID.match(upload_id):
            return None
        try:
            document = json.loads((self.owner_dir(owner) / f"{upload_id}.json").read_text(encoding="utf-8"))
            record = UploadRecord(**document)
        except (OSError, ValueError, TypeError):
            return None
        return record if self.file_path(owner, record).is_file() else None

    def file_path(self, owner: str, record: UploadRecord) -> Path:
        return self.owner_dir(owner) / record.file_name

    def read_table(self, owner: str, record: UploadRecord, table_name: str) -> Table:
        """The whole table of an upload, named as the plugin's table; raises `TableError`."""
        path = self.file_path(owner, record)
        try:
            return read_table_file(path, table_name, self.limits)
        except TableError:
            raise
        except Exception as exc:  # checked at upload; only a file changed on disk since gets here
            raise TableError(table_name, f"the uploaded file '{record.name}' cannot be read") from exc


def display_name(client_name: str) -> str:
    """The client's file name as metadata: its last path segment, no control characters, bounded."""
    last = re.split(r"[\\/]", client_name)[-1]
    cleaned = "".join(c for c in last if unicodedata.category(c)[0] != "C").strip()
    return cleaned[:MAX_NAME_CHARS] or "upload"


def kind_of(name: str) -> str:
    """tsv, csv, txt or xlsx from the file name; a 415 `ApiError` for anything else."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension in KINDS:
        return extension
    accepted = "TSV, CSV, TXT or XLSX"
    if extension in _R_SERIALISED:
        raise ApiError(415, f"'{name}' is a saved R object; these are not accepted because reading one can run "
                            f"code. Export the table as {accepted} instead.")
    if extension == "xls":
        raise ApiError(415, f"'{name}' is an old Excel .xls file; save it as .xlsx, or as {accepted}.")
    raise ApiError(415, f"'{name}' is not a table file this server accepts; upload {accepted}.")


def _preview(table: Table) -> dict[str, Any]:
    return {"columns": table.columns, "rows": table.rows[:PREVIEW_ROWS], "n_rows": table.n_rows}


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)
