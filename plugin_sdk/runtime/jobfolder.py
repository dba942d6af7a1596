"""The job folder: the one place a run reads from and writes to.

    JOB/
      job.json        what the R or Python entry point runs (plugin, tables, config, prefix)
      request.json    the resolved request, for the record and the reproducibility bundle
      input/          the input tables as UTF-8 TSV, one file per table, in order
      uploads/        files given through cloud-file widgets
      .attempt-N/     where attempt N writes; renamed to output/ only when it succeeds,
                      so a retried or killed run never leaves half a file in output/
      output/         the outputs, named <prefix>.<ext>
      log.txt         everything the script printed
      status.json     Hiplot's step status, written by the entry point as steps advance
      result.json     the entry point's verdict: {"ok": true} or the error
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plugin_sdk.plugin import Plugin
from plugin_sdk.tables import Table


@dataclass(frozen=True)
class JobFolder:
    root: Path

    @property
    def job_json(self) -> Path:
        return self.root / "job.json"

    @property
    def request_json(self) -> Path:
        return self.root / "request.json"

    @property
    def input_dir(self) -> Path:
        return self.root / "input"

    @property
    def upload_dir(self) -> Path:
        return self.root / "uploads"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def log_file(self) -> Path:
        return self.root / "log.txt"

    @property
    def status_json(self) -> Path:
        return self.root / "status.json"

    @property
    def result_json(self) -> Path:
        return self.root / "result.json"

    def attempt_dir(self, attempt: int) -> Path:
        return self.root / f".attempt-{attempt}"

    def read_result(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.result_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def read_status(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.status_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None


def output_prefix_name(plugin: Plugin) -> str:
    """Outputs are named after the tool, as Hiplot does: volcano.pdf, volcano.png, ..."""
    return plugin.tool


def prepare_job_folder(
    root: Path,
    plugin: Plugin,
    config: dict[str, Any],
    tables: list[Table | None],
    attempt: int = 1,
    request: dict[str, Any] | None = None,
) -> JobFolder:
    """Write everything a run needs into ``root``; clears what an earlier attempt left."""
    job = JobFolder(Path(root).resolve())
    for folder in (job.root, job.input_dir, job.upload_dir):
        folder.mkdir(parents=True, exist_ok=True)
    attempt_dir = job.attempt_dir(attempt)
    if attempt_dir.exists():
        shutil.rmtree(attempt_dir)
    attempt_dir.mkdir()
    for stale in (job.result_json, job.status_json, job.log_file):
        stale.unlink(missing_ok=True)

    table_entries = []
    for index, (name, table) in enumerate(zip(plugin.table_names, tables, strict=False), start=1):
        if table is None:
            # Not pasted: an uploaded file named in params.data.<name>.value, or an optional
            # table left out (path null, so `data2` stays `data2` even when `data` is absent).
            table_entries.append({"name": name, "path": _uploaded_table(job, plugin, config, name)})
            continue
        path = job.input_dir / f"{index}-{_safe_file_stem(name)}.tsv"
        path.write_text(table.to_tsv(), encoding="utf-8")
        table_entries.append({"name": name, "path": str(path)})

    assert plugin.script is not None, "prepare_job_folder needs a runnable plugin"
    document = {
        "plugin_dir": str(plugin.path),
        "scripts": [plugin.script.name],
        "tables": table_entries,
        "config": config,
        "output_prefix": str(attempt_dir / output_prefix_name(plugin)),
        "upload_dir": str(job.upload_dir),
    }
    _write_json(job.job_json, document)
    _write_json(job.request_json, request or {"plugin": plugin.key, "config": config})
    return job


def _uploaded_table(job: JobFolder, plugin: Plugin, config: dict[str, Any], name: str) -> str | None:
    entry = (config.get("data") or {}).get(name)
    value = entry.get("value") if isinstance(entry, dict) else None
    if not isinstance(value, str) or not value:
        return None
    path = _inside(job.upload_dir, value)
    if not path.exists():
        # An example names a file shipped in the plugin folder (Hiplot's example uploads).
        shipped = _inside(plugin.path, value)
        if shipped.is_file():
            shutil.copyfile(shipped, path)
    return str(path)


def _inside(folder: Path, name: str) -> Path:
    # The resolver already refused absolute paths and "..": this makes sure of it, whatever the name.
    path = (folder / name).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ValueError(f"file name {name!r} leaves {folder}")
    return path


def _safe_file_stem(name: str) -> str:
    # Table names come from data.json ("1-countData"); keep them readable but never a path.
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return cleaned or "table"


def _write_json(path: Path, value: Any) -> None:
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(temporary, path)


def publish_attempt(job: JobFolder, attempt: int) -> Path:
    """Move a finished attempt's files into output/ in one rename."""
    source = job.attempt_dir(attempt)
    if job.output_dir.exists():
        shutil.rmtree(job.output_dir)
    os.replace(source, job.output_dir)
    return job.output_dir
