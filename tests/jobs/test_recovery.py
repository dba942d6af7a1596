"""Jobs whose worker died: re-queued once, then failed; the pool recovers a dead pool's jobs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from plugin_sdk.catalogue import Catalogue
from server.db import Job, session_factory, utc_now
from server.jobs.embedded import EmbeddedBackend, pool_of
from server.jobs.recovery import WORKER_LOST_MESSAGE, recover_job
from server.jobs.service import JobService
from server.jobs.states import JobState, transition
from server.settings import Settings
from tests.jobs.conftest import make_settings, wait_until
from tests.support import process_exists

REQUEST = {"use_example": True}


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def dead_pool_worker() -> str:
    return f"embedded:{socket.gethostname()}:{dead_pid()}:0badf00d:0.1"


def leave_running(settings: Settings, job_id: str, worker_id: str, attempts: int, **fields: object) -> None:
    """Put a queued job in the state a worker that died mid-run leaves it in."""
    with session_factory(settings.database_url)() as session:
        assert transition(session, job_id, JobState.QUEUED, JobState.RUNNING, worker_id=worker_id,
                          attempts=attempts, started_at=utc_now(), heartbeat_at=utc_now(), **fields)


def stored(settings: Settings, job_id: str) -> Job:
    with session_factory(settings.database_url)() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


@pytest.mark.parametrize(("attempts", "cancel", "expected"), [
    (1, False, JobState.QUEUED),
    (2, False, JobState.FAILED),
    (1, True, JobState.CANCELLED),
])
def test_what_becomes_of_a_lost_job(service: JobService, settings: Settings, attempts: int, cancel: bool,
                                    expected: JobState) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    leave_running(settings, job.id, "w-dead", attempts, cancel_requested=cancel)
    with session_factory(settings.database_url)() as session:
        assert recover_job(session, stored(settings, job.id)) is expected
    after = stored(settings, job.id)
    assert after.state == expected.value and after.worker_id is None
    if expected is JobState.FAILED:
        assert (after.reason, after.message) == ("worker_lost", WORKER_LOST_MESSAGE)


def test_a_job_that_moved_on_meanwhile_is_not_touched(service: JobService, settings: Settings) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    leave_running(settings, job.id, "w-dead", 1)
    seen_lost = stored(settings, job.id)
    with session_factory(settings.database_url)() as session:  # another worker took it in between
        session.query(Job).filter(Job.id == job.id).update({"worker_id": "w-alive"})
        session.commit()
        assert recover_job(session, seen_lost) is None
    assert (stored(settings, job.id).state, stored(settings, job.id).worker_id) == ("running", "w-alive")


def test_embedded_worker_ids_name_their_pool() -> None:
    assert pool_of("embedded:lab-pc:4242:ab12cd34:1.3") == {"id": "embedded:lab-pc:4242:ab12cd34", "host": "lab-pc",
                                                            "pid": 4242}
    assert pool_of("rq:lab-pc:4242") is None
    assert pool_of(None) is None


@pytest.mark.slow
def test_a_restarted_pool_runs_a_dead_pools_job_again_once_then_fails_it(
    tmp_path: Path, database_url: str, catalogue: Catalogue,
) -> None:
    from server.db import init_database

    settings = make_settings(tmp_path, database_url, workers=1)
    init_database(settings)
    backend = EmbeddedBackend(settings)
    service = JobService(settings, catalogue, backend)
    retried = service.submit("alice", "jobs/sleepy", REQUEST)
    exhausted = service.submit("alice", "jobs/sleepy", REQUEST)
    alive = service.submit("bob", "jobs/sleepy", REQUEST)
    leave_running(settings, retried.id, dead_pool_worker(), 1)
    leave_running(settings, exhausted.id, dead_pool_worker(), 2)
    # A pool of this host that is still alive (its process exists, its heartbeat is fresh) keeps its job.
    leave_running(settings, alive.id, f"embedded:{socket.gethostname()}:{os.getppid()}:a11fe000:0.1", 1)

    backend.start()
    r_pid = None
    try:
        lost = stored(settings, exhausted.id)
        assert (lost.state, lost.reason, lost.message) == ("failed", "worker_lost", WORKER_LOST_MESSAGE)
        assert stored(settings, alive.id).state == "running"

        # The retried job runs again on the new pool, as its second attempt.
        pid_file = Path(retried.job_dir) / ".attempt-2" / "sleepy.pid"
        wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip())
        r_pid = int(pid_file.read_text())
        running = stored(settings, retried.id)
        assert (running.state, running.attempts) == ("running", 2)
        assert pool_of(running.worker_id)["id"] == backend.pool_id

        # Its worker dies too: no third attempt; the pool starts a new worker.
        (old_worker,) = backend.worker_pids
        os.kill(old_worker, signal.SIGKILL)
        failed = wait_until(lambda: (job := stored(settings, retried.id)).state == "failed" and job, timeout=30)
        assert (failed.reason, failed.message) == ("worker_lost", WORKER_LOST_MESSAGE)
        wait_until(lambda: backend.worker_pids and backend.worker_pids != [old_worker], timeout=30)
    finally:
        backend.stop()
        if r_pid is not None and process_exists(r_pid):  # the R child of the killed worker
            os.killpg(r_pid, signal.SIGKILL)


@pytest.mark.slow
def test_stopping_the_pool_puts_a_running_job_back_in_the_queue(
    tmp_path: Path, database_url: str, catalogue: Catalogue,
) -> None:
    from server.db import init_database

    settings = make_settings(tmp_path, database_url, workers=1)
    init_database(settings)
    backend = EmbeddedBackend(settings)
    service = JobService(settings, catalogue, backend)
    backend.start()
    try:
        job = service.submit("alice", "jobs/sleepy", REQUEST)
        pid_file = Path(job.job_dir) / ".attempt-1" / "sleepy.pid"
        wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip())
        r_pid = int(pid_file.read_text())
    finally:
        backend.stop()
    assert not process_exists(r_pid)
    after = service.get("alice", job.id)
    assert (after.state, after.attempts, after.worker_id, after.reason) == ("queued", 0, None, None)
    assert "The worker stopped while this job ran; it will run again." in [e.line for e in service.logs(job.id)]
