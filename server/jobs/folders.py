"""Where a job's files live, and the submission a worker runs: exactly what was validated.

    <data_dir>/jobs/<id[:2]>/<id>/
      submitted.json   the resolved tables and example index, written at submit
      ...              the runtime's job folder (plugin_sdk.runtime.jobfolder): output/, log.txt, ...

The tables go to the folder, not the database: a 50 MB table belongs in a file, and the
worker then runs the very tables that were checked at submit, without resolving again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from plugin_sdk.params import Resolved
from plugin_sdk.tables import Table

SUBMISSION_FILE = "submitted.json"
OUTPUT_DIR = "output"
BUNDLE_FILE = "reproduce.zip"  # plugin_sdk.runtime.bundle writes it beside output/
BUNDLE_KIND = "bundle"


def job_dir_for(jobs_root: Path, job_id: str) -> Path:
    # Two levels keep any one folder small when there are many thousands of jobs.
    return jobs_root / job_id[:2] / job_id


def write_submission(job_dir: Path, resolved: Resolved) -> None:
    job_dir.mkdir(parents=True, exist_ok=True)
    document = {
        "example_index": resolved.example_index,
        "tables": [_table_to_json(t) for t in resolved.tables],
    }
    temporary = job_dir / (SUBMISSION_FILE + ".tmp")
    temporary.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, job_dir / SUBMISSION_FILE)


def read_submission(job_dir: Path, config: dict[str, Any]) -> Resolved:
    document = json.loads((job_dir / SUBMISSION_FILE).read_text(encoding="utf-8"))
    tables = [_table_from_json(t) for t in document["tables"]]
    return Resolved(config=config, tables=tables, example_index=document.get("example_index"))


def _table_to_json(table: Table | None) -> dict[str, Any] | None:
    return None if table is None else {"name": table.name, "columns": table.columns, "rows": table.rows}


def _table_from_json(value: dict[str, Any] | None) -> Table | None:
    return None if value is None else Table(value["name"], list(value["columns"]), [list(r) for r in value["rows"]])


def output_file(job_dir: Path, name: str, kind: str) -> Path:
    """Where a listed output lives: the bundle beside output/, every figure inside it."""
    return job_dir / name if kind == BUNDLE_KIND else job_dir / OUTPUT_DIR / name


def summarise_tables(request: dict[str, Any], resolved: Resolved) -> dict[str, Any]:
    """The request as the record keeps it: table texts replaced by their shape (the text is in the folder)."""
    record = dict(request)
    if isinstance(request.get("tables"), dict):
        shapes = {}
        for name in request["tables"]:
            table = next((t for t in resolved.tables if t is not None and t.name == name), None)
            shapes[name] = {"rows": table.n_rows, "columns": len(table.columns)} if table else None
        record["tables"] = shapes
    return record
