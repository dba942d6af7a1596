"""A job's life: its states, which moves between them are allowed, and making a move atomically.

    queued  -> running | cancelled | failed
    running -> succeeded | failed | cancelled | queued (re-queued by the reconciler only)

Every move is ONE `UPDATE jobs SET ... WHERE id = :id AND state IN (:from)`; its row count
says whether it happened. So of two workers claiming the same job exactly one wins, and a
finished job never moves again, whatever races the web tier, workers and reconciler run.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from server.db.models import Job


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

ALLOWED: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}),
    JobState.RUNNING: frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED}),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}

# Reasons the job service adds to the runtime's (plugin_sdk.runtime.outcome.Reason).
INTERNAL = "internal"


class IllegalTransition(ValueError):
    """A move the state machine does not allow (a bug in the caller, not a race)."""


def transition(
    session: Session,
    job_id: str,
    from_states: JobState | Iterable[JobState],
    to_state: JobState,
    *,
    where: Iterable[ColumnElement[bool]] = (),
    **fields: Any,
) -> bool:
    """Move the job to ``to_state`` if it is in one of ``from_states``; commit; True if it moved.

    ``fields`` are other columns to set in the same statement (values or SQL expressions,
    e.g. ``attempts=Job.attempts + 1``). ``where`` adds conditions, e.g. that the job is still
    held by the worker the caller believes lost.
    """
    sources = {JobState(from_states)} if isinstance(from_states, str) else {JobState(s) for s in from_states}
    target = JobState(to_state)
    for source in sources:
        if target not in ALLOWED[source]:
            raise IllegalTransition(f"a job cannot go from {source} to {target}")
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state.in_([s.value for s in sources]), *where)
        .values(state=target.value, **fields)
        .execution_options(synchronize_session=False)
    )
    moved = session.execute(statement).rowcount == 1
    session.commit()
    return moved
