"""Which queued job a free worker takes next: the oldest, skipping owners already at their cap.

A soft cap: two workers choosing at the same instant may both pick the same owner's jobs
and let them run one over the cap for a while. The claim itself is atomic (states.transition).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db.models import Job
from server.jobs.states import JobState


def next_queued_job_id(session: Session, max_running_per_user: int) -> str | None:
    busy_owners = (
        select(Job.owner)
        .where(Job.state == JobState.RUNNING.value)
        .group_by(Job.owner)
        .having(func.count() >= max_running_per_user)
    )
    statement = (
        select(Job.id)
        .where(Job.state == JobState.QUEUED.value, Job.owner.not_in(busy_owners))
        .order_by(Job.created_at, Job.id)
        .limit(1)
    )
    return session.scalar(statement)
