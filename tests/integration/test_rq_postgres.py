"""The RQ backend on PostgreSQL: workers and the web tier sharing a private database on
127.0.0.1:5432 (created and dropped here; skipped, saying why, when no server answers)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import RedisServer, RQStack, processes_in, rq_stack_on
from tests.jobs.conftest import database
from tests.support import process_exists, wait_until

pytestmark = pytest.mark.slow

REDIS_DB = 1  # the SQLite stack uses 0


@pytest.fixture(scope="module")
def pg_stack_module(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, r_library: Path,
                    mpl_config_dir: Path) -> Iterator[RQStack]:
    folder = tmp_path_factory.mktemp("rq-postgres")
    with database("postgresql", folder) as url, rq_stack_on(folder, url, redis_server, REDIS_DB,
                                                             ["pg-w1", "pg-w2"]) as stack:
        yield stack


@pytest.fixture
def pg_stack(pg_stack_module: RQStack) -> RQStack:
    pg_stack_module.ensure_workers()
    return pg_stack_module


def test_jobs_run_through_rq_with_their_records_in_postgresql(pg_stack: RQStack) -> None:
    assert pg_stack.settings.database_url.startswith("postgresql+psycopg://")
    jobs = [pg_stack.submit("it/ggbox", title=f"postgres {i}") for i in range(10)]
    finished = [pg_stack.wait_finished(job, timeout=240) for job in jobs]
    assert [(j.state, j.reason) for j in finished] == [("succeeded", None)] * 10
    assert {j.worker_id for j in finished} <= {"rq:pg-w1", "rq:pg-w2"}
    for job in finished:
        assert job.heartbeat_at is None and job.started_at <= job.finished_at
        for output in job.outputs:
            path = pg_stack.service.output_path(job.owner, job.id, output["name"])
            assert path is not None and path.stat().st_size == output["size"] > 0
    assert [e.line for e in pg_stack.service.logs(finished[0].id) if e.kind == "step"]


def test_a_running_job_is_cancelled_within_two_seconds(pg_stack: RQStack) -> None:
    job = pg_stack.submit("jobs/sleepy")
    r_pid = pg_stack.wait_running_pid(job, "sleepy")
    pg_stack.service.cancel(job.owner, job.id)
    wait_until(lambda: not process_exists(r_pid), 2.0, 0.02, what="the R process to end after the cancel")
    assert pg_stack.wait_finished(job, timeout=30).state == "cancelled"


def test_a_job_whose_plot_process_is_killed_fails_and_the_worker_goes_on(pg_stack: RQStack) -> None:
    # The worker process itself writes to the database here, and forks each job's child.
    job = pg_stack.submit("it/slow")
    r_pid = pg_stack.wait_running_pid(job, "slow")
    os.kill(r_pid, signal.SIGKILL)
    done = pg_stack.wait_finished(job, timeout=30)
    assert (done.state, done.reason) == ("failed", "killed"), done.message
    assert processes_in(pg_stack.settings.jobs_dir) == []
    # The worker goes on with a clean database connection.
    assert pg_stack.wait_finished(pg_stack.submit("jobs/quick")).state == "succeeded"
