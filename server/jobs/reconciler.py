"""The reconciler of the RQ backend: make Redis and the workers agree with the job rows again.

The database is the source of truth; Redis only carries "run job X". Two things break that:

- **A worker dies while it runs a job** (SIGKILL, a lost machine). The row stays "running".
  The job is lost when its heartbeat in the database has stopped for a while AND its worker
  is gone (its Redis record expired, or its process no longer exists on this host) or no
  longer runs it (not in RQ's StartedJobRegistry); or, whatever Redis says, when the
  heartbeat has stopped for a minute. A lost job runs again once, or fails with
  reason worker_lost (recovery.recover_job makes that decision).
- **Redis restarts empty** (no persistence), or an enqueue failed. Rows stay "queued" that
  no RQ queue holds; they are handed to RQ again.

`reconcile` runs once when `plotforge serve` starts in RQ mode and then every few seconds in
`ReconcilerThread`. Every move is an atomic state transition, so two web tiers reconciling
at once, or a worker finishing meanwhile, never run a job twice at the same time; a job
enqueued twice is harmless (the second claim fails and its run returns at once).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from server.db.engine import session_factory
from server.db.models import Job
from server.db.types import utc_now
from server.jobs.execute import HEARTBEAT_S
from server.jobs.recovery import recover_lost_jobs
from server.jobs.states import JobState

if TYPE_CHECKING:
    from server.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 10.0
RQ_WORKER_PREFIX = "rq:"  # worker ids of RQ workers in the jobs table: "rq:<RQ worker name>"
# A running job beats every HEARTBEAT_S; three missed beats and we look at its worker.
QUIET = timedelta(seconds=3 * HEARTBEAT_S)
# A minute without a beat: lost, whatever Redis says (a hung worker, a worker of another kind).
SILENT = timedelta(seconds=60)
# A row committed a moment ago may not have reached Redis yet; it is not missing.
QUEUED_GRACE = timedelta(seconds=5)


class ReconcilableBackend(Protocol):
    """What the reconciler asks of the RQ backend (server.jobs.rq_backend.RQBackend)."""

    def enqueue(self, job_id: str) -> None: ...

    def waiting_or_started_ids(self) -> set[str]: ...

    def started_ids(self) -> set[str]: ...

    def worker_record(self, worker_name: str) -> dict[str, str] | None: ...


@dataclass
class ReconcileSummary:
    requeued: list[str] = field(default_factory=list)  # running on a dead worker: will run again
    failed: list[str] = field(default_factory=list)  # running on a dead worker for the second time
    cancelled: list[str] = field(default_factory=list)  # running on a dead worker, cancel asked
    enqueued: list[str] = field(default_factory=list)  # queued rows Redis did not hold, sent again

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled or self.enqueued)

    def __str__(self) -> str:
        return (f"{len(self.requeued)} lost jobs queued again, {len(self.failed)} failed, "
                f"{len(self.cancelled)} cancelled; {len(self.enqueued)} queued jobs handed to Redis again")


def reconcile(settings: Settings, backend: ReconcilableBackend) -> ReconcileSummary:
    """One pass over the running and queued jobs; returns what it changed."""
    summary = ReconcileSummary()
    sessions = session_factory(settings.database_url)
    now = utc_now()
    lost = _LostJobTest(backend, now)
    with sessions() as session:
        moved = recover_lost_jobs(session, lost)
    for job_id, state in moved.items():
        log.warning("job %s: its worker is gone; now %s", job_id, state)
        {JobState.QUEUED: summary.requeued, JobState.FAILED: summary.failed,
         JobState.CANCELLED: summary.cancelled}[state].append(job_id)

    # The rows first, then Redis: a job enqueued in between is in Redis, or young enough to wait.
    with sessions() as session:
        queued = session.execute(select(Job.id, Job.created_at).where(Job.state == JobState.QUEUED.value)).all()
    held = backend.waiting_or_started_ids() if queued else set()
    for job_id, created_at in queued:
        if job_id in held or (job_id not in summary.requeued and now - created_at < QUEUED_GRACE):
            continue
        backend.enqueue(job_id)
        summary.enqueued.append(job_id)
    if summary.enqueued:
        log.warning("handed %d queued jobs to Redis again (it had lost them)", len(summary.enqueued))
    return summary


class _LostJobTest:
    """Decides, for one running row, whether its worker is gone (Redis is asked once per worker)."""

    def __init__(self, backend: ReconcilableBackend, now: datetime) -> None:
        self.backend = backend
        self.now = now
        self.host = socket.gethostname()
        self._records: dict[str, dict[str, str] | None] = {}
        self._started: set[str] | None = None

    def __call__(self, job: Job) -> bool:
        last_sign = job.heartbeat_at or job.started_at or job.created_at
        quiet_for = self.now - last_sign
        if quiet_for < QUIET:
            return False
        if quiet_for >= SILENT:
            return True
        worker_id = job.worker_id or ""
        if not worker_id.startswith(RQ_WORKER_PREFIX):
            return False  # not an RQ worker's job: only a long silence says it is lost
        record = self._record(worker_id[len(RQ_WORKER_PREFIX):])
        if record is None or "death" in record or not self._process_may_exist(record):
            return True
        if self._started is None:
            self._started = self.backend.started_ids()
        return job.id not in self._started

    def _record(self, worker_name: str) -> dict[str, str] | None:
        if worker_name not in self._records:
            self._records[worker_name] = self.backend.worker_record(worker_name)
        return self._records[worker_name]

    def _process_may_exist(self, record: dict[str, str]) -> bool:
        """False only for a worker of this host whose process is gone."""
        if record.get("hostname") != self.host or not record.get("pid", "").isdigit():
            return True
        try:
            os.kill(int(record["pid"]), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


class ReconcilerThread:
    """Runs `reconcile` now and then every ``interval_s`` seconds in a daemon thread."""

    def __init__(self, settings: Settings, backend: ReconcilableBackend, interval_s: float = DEFAULT_INTERVAL_S):
        self.settings = settings
        self.backend = backend
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="plotforge-reconciler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            try:
                summary = reconcile(self.settings, self.backend)
                if summary:
                    log.warning("reconciled: %s", summary)
            except Exception as exc:  # Redis or the database briefly away: try again next round
                log.warning("could not reconcile jobs with Redis (%s: %s); retrying in %g s",
                            type(exc).__name__, exc, self.interval_s)
            if self._stop.wait(self.interval_s):
                return
