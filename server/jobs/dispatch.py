"""Which queued job a free worker takes next: the oldest, skipping owners already at their cap.

The embedded pool asks the database for that job (`next_queued_job_id`); an RQ worker takes
the job Redis gives it and puts it back if its owner is at the cap (`owner_at_running_cap`).
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


def owner_at_running_cap(session: Session, job_id: str, max_running_per_user: int) -> bool:
    """Whether the owner of job ``job_id`` already has ``max_running_per_user`` jobs running."""
    owner = select(Job.owner).where(Job.id == job_id).scalar_subquery()
    running = session.scalar(
        select(func.count()).select_from(Job).where(Job.owner == owner, Job.state == JobState.RUNNING.value)
    )
    return (running or 0) >= max_running_per_user
