"""The job record's schema and its state machine, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC
from typing import Any

import pytest
from alembic import command
from sqlalchemy import inspect, select

from server.db import Job, JobLog, session_factory, utc_now
from server.db.engine import engine_for
from server.db.migrate import alembic_config
from server.jobs.states import ALLOWED, FINISHED, IllegalTransition, JobState, transition
from server.settings import Settings


def make_job(settings: Settings, job_id: str = "job-1", state: JobState = JobState.QUEUED, **fields: Any) -> Job:
    values: dict[str, Any] = {
        "id": job_id, "owner": "alice", "plugin_key": "jobs/quick", "plugin_version": "v1", "plugin_hash": "0" * 64,
        "request": {"use_example": True}, "config": {"extra": {}}, "request_hash": "1" * 64, "state": state.value,
        "message": "", "step": "", "attempts": 0, "created_at": utc_now(), "outputs": [],
        "job_dir": str(settings.jobs_dir / job_id), "cancel_requested": False, **fields,
    }
    with session_factory(settings.database_url)() as session:
        session.add(Job(**values))
        session.commit()
    return Job(**values)


def load(settings: Settings, job_id: str) -> Job:
    with session_factory(settings.database_url)() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_migrations_build_exactly_the_models(settings: Settings) -> None:
    tables = set(inspect(engine_for(settings.database_url)).get_table_names())
    assert {"jobs", "job_logs", "alembic_version"} <= tables
    indexes = {ix["name"] for ix in inspect(engine_for(settings.database_url)).get_indexes("jobs")}
    assert {"ix_jobs_owner_created_at", "ix_jobs_state", "ix_jobs_request_hash"} <= indexes
    command.check(alembic_config(settings.database_url))  # raises if the models drifted from the migrations


def test_times_come_back_timezone_aware_utc(settings: Settings) -> None:
    make_job(settings)
    assert load(settings, "job-1").created_at.tzinfo == UTC


def test_log_lines_belong_to_an_existing_job(settings: Settings) -> None:
    from sqlalchemy.exc import IntegrityError

    with session_factory(settings.database_url)() as session:
        session.add(JobLog(job_id="no-such-job", seq=1, kind="log", line="x", created_at=utc_now()))
        with pytest.raises(IntegrityError):
            session.commit()


def test_the_transition_table() -> None:
    assert ALLOWED[JobState.QUEUED] == {JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}
    assert ALLOWED[JobState.RUNNING] == {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED}
    assert all(not ALLOWED[state] for state in FINISHED)


def test_a_transition_moves_the_job_and_sets_fields_in_one_statement(settings: Settings) -> None:
    make_job(settings)
    with session_factory(settings.database_url)() as session:
        assert transition(session, "job-1", JobState.QUEUED, JobState.RUNNING, worker_id="w1",
                          attempts=Job.attempts + 1)
    job = load(settings, "job-1")
    assert (job.state, job.worker_id, job.attempts) == ("running", "w1", 1)


def test_a_transition_from_the_wrong_state_does_nothing(settings: Settings) -> None:
    make_job(settings, state=JobState.SUCCEEDED)
    with session_factory(settings.database_url)() as session:
        assert not transition(session, "job-1", JobState.QUEUED, JobState.CANCELLED)
        assert not transition(session, "missing", JobState.QUEUED, JobState.CANCELLED)
    assert load(settings, "job-1").state == "succeeded"


def test_a_finished_job_never_goes_back(settings: Settings) -> None:
    make_job(settings, state=JobState.FAILED)
    with session_factory(settings.database_url)() as session, pytest.raises(IllegalTransition):
        transition(session, "job-1", JobState.FAILED, JobState.QUEUED)
    with session_factory(settings.database_url)() as session, pytest.raises(IllegalTransition):
        transition(session, "job-1", [JobState.QUEUED, JobState.SUCCEEDED], JobState.RUNNING)
    assert load(settings, "job-1").state == "failed"


def test_two_workers_racing_to_claim_a_job_exactly_one_wins(settings: Settings) -> None:
    contenders = 6
    for round_number in range(5):
        make_job(settings, job_id=f"race-{round_number}")
    sessions = session_factory(settings.database_url)
    for round_number in range(5):
        job_id = f"race-{round_number}"
        start = threading.Barrier(contenders)
        wins: list[str] = []

        def claim(worker: str, job_id: str = job_id, start: threading.Barrier = start, wins: list[str] = wins) -> None:
            with sessions() as session:
                session.execute(select(Job.state).where(Job.id == job_id)).all()  # each holds a live connection
                start.wait()
                if transition(session, job_id, JobState.QUEUED, JobState.RUNNING, worker_id=worker):
                    wins.append(worker)

        threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(contenders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, wins
        job = load(settings, job_id)
        assert (job.state, job.worker_id) == ("running", wins[0])
