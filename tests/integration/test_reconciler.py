"""The reconciler's decisions, on a real Redis and database with no workers attached, so
that nothing but the reconciler moves a job."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis

from server.db import Job, init_database
from server.db.engine import dispose_engines, session_factory
from server.db.types import utc_now
from server.jobs.reconciler import ReconcileSummary, reconcile
from server.jobs.recovery import WORKER_LOST_MESSAGE
from server.jobs.rq_backend import RQBackend
from server.settings import Settings, load_settings
from tests.integration.conftest import RedisServer

pytestmark = pytest.mark.slow

REDIS_DB = 2  # the RQ stacks of the other modules use 0 and 1


@pytest.fixture
def settings(tmp_path: Path, redis_server: RedisServer) -> Iterator[Settings]:
    settings = load_settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'plotforge.db'}",
                             redis_url=redis_server.url(REDIS_DB), redis_password=redis_server.password)
    init_database(settings)
    redis_server.client(REDIS_DB).flushdb()
    yield settings
    dispose_engines(settings.database_url)


@pytest.fixture
def backend(settings: Settings) -> RQBackend:
    return RQBackend(settings)  # not started: each test calls reconcile itself


def add_job(settings: Settings, state: str, *, age_s: float = 60, heartbeat_age_s: float | None = None,
            worker_id: str | None = None, attempts: int = 0, cancel_requested: bool = False) -> str:
    now = utc_now()
    job_id = secrets.token_urlsafe(16)
    job = Job(
        id=job_id, owner="reconciler-tests", plugin_key="jobs/quick", plugin_version="v1.0.0", plugin_hash="0" * 64,
        request={}, config={}, request_hash=secrets.token_hex(32), state=state, reason=None, message="", step="",
        attempts=attempts, created_at=now - timedelta(seconds=age_s), outputs=[],
        job_dir=str(settings.jobs_dir / job_id), cancel_requested=cancel_requested, worker_id=worker_id,
        started_at=now - timedelta(seconds=age_s) if state == "running" else None,
        heartbeat_at=None if heartbeat_age_s is None else now - timedelta(seconds=heartbeat_age_s),
    )
    with session_factory(settings.database_url)() as session:
        session.add(job)
        session.commit()
    return job_id


def row(settings: Settings, job_id: str) -> Job:
    with session_factory(settings.database_url)() as session:
        found = session.get(Job, job_id)
        assert found is not None
        return found


def register_worker(client: Redis, name: str, pid: int, host: str | None = None) -> None:
    """A worker record as RQ writes it (rq.worker.BaseWorker.register_birth)."""
    client.hset(f"rq:worker:{name}", mapping={"pid": pid, "hostname": host or socket.gethostname()})


def test_queued_jobs_redis_lost_are_handed_back_once(settings: Settings, backend: RQBackend) -> None:
    lost = add_job(settings, "queued")
    just_submitted = add_job(settings, "queued", age_s=0)  # its enqueue may be on its way
    held = add_job(settings, "queued")
    backend.enqueue(held)

    summary = reconcile(settings, backend)
    assert summary.enqueued == [lost]
    assert sorted(backend.queue.get_job_ids()) == sorted([held, lost])
    assert reconcile(settings, backend).enqueued == []
    assert just_submitted not in backend.queue.get_job_ids()


def test_a_running_job_of_a_vanished_worker_is_queued_again_then_failed_the_second_time(
        settings: Settings, backend: RQBackend) -> None:
    first = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:ghost", attempts=1)
    second = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:ghost", attempts=2)

    summary = reconcile(settings, backend)
    assert (summary.requeued, summary.failed) == ([first], [second])
    assert first in summary.enqueued and first in backend.queue.get_job_ids()
    again = row(settings, first)
    assert (again.state, again.worker_id, again.heartbeat_at, again.attempts) == ("queued", None, None, 1)
    lost = row(settings, second)
    assert (lost.state, lost.reason, lost.message) == ("failed", "worker_lost", WORKER_LOST_MESSAGE)
    assert lost.finished_at is not None


def test_a_lost_job_its_owner_cancelled_ends_cancelled(settings: Settings, backend: RQBackend) -> None:
    job = add_job(settings, "running", heartbeat_age_s=30, worker_id="rq:ghost", attempts=1, cancel_requested=True)
    assert reconcile(settings, backend).cancelled == [job]
    assert row(settings, job).state == "cancelled"


def test_a_beating_job_is_left_alone_whatever_redis_says(settings: Settings, backend: RQBackend) -> None:
    job = add_job(settings, "running", heartbeat_age_s=2, worker_id="rq:ghost", attempts=1)
    assert reconcile(settings, backend) == ReconcileSummary()
    assert row(settings, job).state == "running"


def test_a_quiet_job_is_lost_only_when_its_worker_is_gone_or_no_longer_runs_it(
        settings: Settings, backend: RQBackend, redis_server: RedisServer) -> None:
    client = redis_server.client(REDIS_DB)
    register_worker(client, "alive", os.getpid())
    register_worker(client, "dead-here", 2**22 + 12345)  # no such process on this host
    register_worker(client, "elsewhere", 1, host="another-machine")
    started = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:alive", attempts=1)
    not_started = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:alive", attempts=1)
    on_dead_process = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:dead-here", attempts=1)
    on_other_machine = add_job(settings, "running", heartbeat_age_s=20, worker_id="rq:elsewhere", attempts=1)
    silent = add_job(settings, "running", heartbeat_age_s=90, worker_id="rq:elsewhere", attempts=1)
    for job_id in (started, on_other_machine):
        client.zadd(backend.queue.started_job_registry.key, {f"{job_id}:execution-1": 10**10})

    summary = reconcile(settings, backend)
    assert sorted(summary.requeued) == sorted([not_started, on_dead_process, silent])
    assert row(settings, started).state == row(settings, on_other_machine).state == "running"


def test_jobs_of_other_workers_are_lost_only_after_a_minute_of_silence(
        settings: Settings, backend: RQBackend) -> None:
    quiet = add_job(settings, "running", heartbeat_age_s=30, worker_id="embedded:host:1:abcd:0.1", attempts=1)
    silent = add_job(settings, "running", heartbeat_age_s=75, worker_id="embedded:host:1:abcd:0.1", attempts=1)
    assert reconcile(settings, backend).requeued == [silent]
    assert row(settings, quiet).state == "running"
