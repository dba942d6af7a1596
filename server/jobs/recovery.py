"""The reconciler's one decision: what becomes of a job whose worker died while running it.

It runs again once (a worker can die for reasons that have nothing to do with the job), but
not a third time: a job that keeps killing its worker fails with a clear message. A job
its owner asked to cancel is simply cancelled.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin_sdk.runtime.outcome import Reason
from server.db.models import Job, JobLog
from server.db.types import utc_now
from server.jobs.service import CANCELLED_MESSAGE
from server.jobs.states import JobState, transition

MAX_ATTEMPTS = 2
WORKER_LOST_MESSAGE = "The worker running this job stopped; please run it again"
REQUEUED_LINE = "The worker stopped while this job ran; it will run again."


def recover_job(session: Session, job: Job) -> JobState | None:
    """Re-queue, fail or cancel one running job whose worker is gone; None if it moved meanwhile."""
    still_held = [Job.worker_id == job.worker_id] if job.worker_id is not None else [Job.worker_id.is_(None)]
    now = utc_now()
    if job.cancel_requested:
        target, fields = JobState.CANCELLED, {"reason": Reason.CANCELLED.value, "message": CANCELLED_MESSAGE,
                                              "finished_at": now}
    elif job.attempts < MAX_ATTEMPTS:
        target, fields = JobState.QUEUED, {"started_at": None, "step": ""}
    else:
        target, fields = JobState.FAILED, {"reason": Reason.WORKER_LOST.value, "message": WORKER_LOST_MESSAGE,
                                           "finished_at": now}
    moved = transition(session, job.id, JobState.RUNNING, target, where=still_held, worker_id=None,
                       heartbeat_at=None, **fields)
    if moved and target is JobState.QUEUED:
        # The page following the job shows why its log starts over.
        seq = (session.scalar(select(func.max(JobLog.seq)).where(JobLog.job_id == job.id)) or 0) + 1
        session.add(JobLog(job_id=job.id, seq=seq, kind="log", line=REQUEUED_LINE, created_at=now))
        session.commit()
    return target if moved else None


def recover_lost_jobs(session: Session, is_lost: Callable[[Job], bool]) -> dict[str, JobState]:
    """Recover every running job ``is_lost`` picks; returns job id -> the state it went to."""
    running = list(session.scalars(select(Job).where(Job.state == JobState.RUNNING.value)))
    outcome = {}
    for job in running:
        if is_lost(job) and (state := recover_job(session, job)) is not None:
            outcome[job.id] = state
    return outcome
