"""Turn a RunRequest's upload references into what the job service takes.

Two places may name an upload of this session:

- a table, ``"tables": {"datTable": {"upload": "<id>"}}``: the upload is read with the shared
  table reader and passed on as table text, so it is checked like pasted text;
- a file input (ui.json `cloud-file`), ``"params": {"data": {"geneInfo": {"value": "<id>"}}}``:
  the file is handed to the service to copy into the job's uploads folder, and the value
  becomes its generated file name ``<id>.<kind>`` (what the plugin's script then opens).

An id that is not one of this session's uploads is a 404 with the field it came from (an
upload of another session does not exist, as far as this one can tell). Values a plugin
ships itself (data.json defaults, its examples' files) pass through untouched.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin_sdk.findings import json_pointer
from plugin_sdk.params import FieldError, RequestInvalid
from plugin_sdk.plugin import Plugin
from plugin_sdk.tables import TableError
from server.api.errors import ApiError, table_field_error
from server.api.upload_store import KINDS, UploadStore


@dataclass
class PreparedRun:
    request: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)  # file name in the job's uploads folder -> source


def prepare_run(plugin: Plugin, request: dict[str, Any], owner: str, uploads: UploadStore) -> PreparedRun:
    """The request with upload references resolved; raises `ApiError` (404) or `RequestInvalid`."""
    request = copy.deepcopy(request)
    missing: list[FieldError] = []
    invalid: list[FieldError] = []
    tables = request.get("tables")
    if isinstance(tables, dict):
        for name, value in tables.items():
            if isinstance(value, dict) and "upload" in value:
                tables[name] = _table_text(name, value["upload"], owner, uploads, missing, invalid)
    files: dict[str, Path] = {}
    data = request.get("params", {}).get("data") if isinstance(request.get("params"), dict) else None
    if isinstance(data, dict):
        for name, entry in data.items():
            if isinstance(entry, dict) and "value" in entry:
                _resolve_file_entry(plugin, name, entry, owner, uploads, files, missing, invalid)
    if missing:
        what = "upload" if len(missing) == 1 else "uploads"
        raise ApiError(404, f"The {what} named in the request could not be found in this browser session; "
                            f"please upload the file again.", missing + invalid)
    if invalid:
        raise RequestInvalid(invalid)
    return PreparedRun(request, files)


def _table_text(name: str, upload_id: Any, owner: str, uploads: UploadStore,
                missing: list[FieldError], invalid: list[FieldError]) -> str:
    pointer = json_pointer("tables", name)
    record = uploads.get(owner, upload_id) if isinstance(upload_id, str) else None
    if record is None:
        missing.append(FieldError(pointer, f"there is no upload {_shown(upload_id)} in this session", table=name))
        return ""
    try:
        return uploads.read_table(owner, record, name).to_tsv()
    except TableError as exc:
        invalid.append(table_field_error(exc))
        return ""


def _resolve_file_entry(plugin: Plugin, name: str, entry: dict[str, Any], owner: str, uploads: UploadStore,
                        files: dict[str, Path], missing: list[FieldError], invalid: list[FieldError]) -> None:
    value = entry["value"]
    shipped = _shipped_values(plugin, name)
    several = isinstance(value, list)
    resolved: list[Any] = []
    used_upload = False
    for index, item in enumerate(value if several else [value]):
        pointer = json_pointer("params", "data", name, "value", *([index] if several else []))
        if not isinstance(item, str) or not item.strip() or item in shipped:
            resolved.append(item)  # blank, shipped with the plugin, or not text (the schema says so)
            continue
        record = uploads.get(owner, _upload_id(item))
        if record is None:
            missing.append(FieldError(pointer, f"there is no upload {_shown(item)} in this session", table=name))
            resolved.append(item)
            continue
        accepted = _accepted_kinds(plugin, name)
        if record.kind not in accepted:
            invalid.append(FieldError(pointer, f"this input takes {', '.join(k.upper() for k in accepted)} files; "
                                               f"'{record.name}' is {record.kind.upper()}", table=name))
        files[record.file_name] = uploads.file_path(owner, record)
        resolved.append(record.file_name)
        used_upload = True
    entry["value"] = resolved if several else resolved[0]
    if used_upload:
        entry["link"] = ""  # Hiplot's scripts prefer `link` over `value`; the file is local now


def _upload_id(value: str) -> str:
    """An upload id, also when given as the generated file name "<id>.<kind>" (a resubmitted config)."""
    stem, dot, extension = value.rpartition(".")
    return stem if dot and extension in KINDS else value


def _shipped_values(plugin: Plugin, name: str) -> set[str]:
    """File names the plugin itself gives this input: its data.json default and its examples'."""
    configs = [plugin.config, *(e.get("config") for e in plugin.examples)]
    values: set[str] = set()
    for config in configs:
        data = config.get("data") if isinstance(config, dict) else None
        entry = data.get(name) if isinstance(data, dict) else None
        value = entry.get("value") if isinstance(entry, dict) else None
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                values.add(item)
    return values


def _accepted_kinds(plugin: Plugin, name: str) -> list[str]:
    ui_data = plugin.ui.get("data") if isinstance(plugin.ui, dict) else None
    widget = ui_data.get(name) if isinstance(ui_data, dict) else None
    exts = widget.get("exts") if isinstance(widget, dict) else None
    if not isinstance(exts, list):
        return list(KINDS)
    wanted = {str(e).lstrip(".").lower() for e in exts if isinstance(e, str)}
    return [k for k in KINDS if k in wanted] or list(KINDS)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return f"'{text[:80]}'"


__all__ = ["PreparedRun", "prepare_run"]
