"""The result cache: the same plugin code, config and tables make the same figure, so reuse it.

A request's hash covers the plugin's content hash (its code, not just its version number),
the resolved config and the table contents. A hit gives the new job its own copies (hard
links where the file system allows) of the earlier job's files: folders are never shared,
so one owner deleting a job never touches another's.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin_sdk.params import Resolved
from server.db.models import Job
from server.jobs.folders import output_file
from server.jobs.states import JobState

CANDIDATES = 5  # earlier hits to try when the newest lost its files


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def request_hash(plugin_hash: str, resolved: Resolved) -> str:
    digest = hashlib.sha256()
    digest.update(plugin_hash.encode() + b"\0")
    digest.update(canonical_json(resolved.config) + b"\0")
    tables = [None if t is None else [t.name, t.columns, t.rows] for t in resolved.tables]
    digest.update(canonical_json(tables))
    return digest.hexdigest()


def find_cached(session: Session, digest: str) -> Job | None:
    """The newest succeeded job with this hash whose files are all still on disk."""
    candidates = session.scalars(
        select(Job)
        .where(Job.request_hash == digest, Job.state == JobState.SUCCEEDED.value)
        .order_by(Job.finished_at.desc())
        .limit(CANDIDATES)
    )
    for job in candidates:
        folder = Path(job.job_dir)
        if job.outputs and all(output_file(folder, o["name"], o["kind"]).is_file() for o in job.outputs):
            return job
    return None


def copy_outputs(source: Job, target_dir: Path) -> list[dict[str, Any]]:
    """Give ``target_dir`` its own copy of every output of ``source``; returns the output list."""
    source_dir = Path(source.job_dir)
    copied = []
    for output in source.outputs:
        origin = output_file(source_dir, output["name"], output["kind"])
        destination = output_file(target_dir, output["name"], output["kind"])
        destination.parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(origin, destination)
        copied.append({**output, "size": destination.stat().st_size})
    return copied


def _link_or_copy(origin: Path, destination: Path) -> None:
    temporary = destination.with_name(destination.name + ".tmp")
    temporary.unlink(missing_ok=True)
    try:
        os.link(origin, temporary)
    except OSError:  # another file system, or links not allowed: a real copy
        shutil.copy2(origin, temporary)
    os.replace(temporary, destination)
