"""A job's progress as server-sent events, read from the job service every 0.25 s.

    event: state   {"state", "step", "reason", "message"}     whenever one of them changes
    event: log     {"seq", "line"}                           each line the plot printed
    event: step    {"seq", "step": {...Hiplot's step status...}}
    event: done    the final Job                              then the stream ends

`log` and `step` events carry their sequence number as the event id, so a browser that
reconnects (EventSource sends Last-Event-ID) continues after the last line it saw.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from server.api.models import JobModel
from server.api.views import job_view
from server.db.models import Job
from server.jobs.service import MAX_LOG_PAGE, JobService

POLL_S = 0.25


def last_event_id(request: Request) -> int:
    value = request.headers.get("last-event-id", "")
    return int(value) if value.isdigit() and len(value) < 12 else 0


def job_json(job: Job) -> str:
    return JobModel.model_validate(job_view(job)).model_dump_json()


async def job_events(jobs: JobService, owner: str, job_id: str, after_seq: int,
                     request: Request) -> AsyncIterator[dict[str, Any]]:
    seq = after_seq
    last_state: tuple[Any, ...] | None = None
    while True:
        # The job first, then its lines: a job seen finished has flushed every line already.
        job = await run_in_threadpool(jobs.get, owner, job_id)
        if job is None:
            return
        lines = await run_in_threadpool(jobs.logs, job_id, seq)
        for entry in lines:
            seq = entry.seq
            yield _line_event(entry.seq, entry.kind, entry.line)
        state = (job.state, job.step, job.reason, job.message)
        if state != last_state:
            last_state = state
            yield {"event": "state", "data": json.dumps(
                {"state": job.state, "step": job.step, "reason": job.reason, "message": job.message},
                ensure_ascii=False)}
        if len(lines) >= MAX_LOG_PAGE:
            continue  # more lines are waiting: read them before anything else
        if job.finished:
            yield {"event": "done", "data": job_json(job)}
            return
        if await request.is_disconnected():
            return
        await anyio.sleep(POLL_S)


def _line_event(seq: int, kind: str, line: str) -> dict[str, Any]:
    if kind == "step":
        try:
            step = json.loads(line)
        except ValueError:
            step = {"label": line}
        return {"event": "step", "id": str(seq), "data": json.dumps({"seq": seq, "step": step}, ensure_ascii=False)}
    return {"event": "log", "id": str(seq), "data": json.dumps({"seq": seq, "line": line}, ensure_ascii=False)}
