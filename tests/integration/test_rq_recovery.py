"""What a killed worker, a cold shutdown, a killed plot process or a Redis restart leave
behind: no job stuck "running", no job lost, no R process left running."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from server.db import Job
from server.jobs.reconciler import reconcile
from server.jobs.recovery import REQUEUED_LINE, WORKER_LOST_MESSAGE
from tests.integration.conftest import RQStack, processes_in
from tests.support import process_exists, wait_until

pytestmark = pytest.mark.slow

LOST_WITHIN_S = 120


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as handle:
        stat = handle.read()
    return int(stat[stat.rfind(b")") + 2 :].split()[1])


def assert_rerun_or_worker_lost(done: Job) -> None:
    """Either outcome is right: run again to success, or failed as lost (never stuck running)."""
    if done.state != "succeeded":
        assert (done.state, done.reason, done.message) == ("failed", "worker_lost", WORKER_LOST_MESSAGE), done.id


def test_a_job_whose_worker_is_killed_runs_again_and_leaves_no_r_behind(rq_stack: RQStack) -> None:
    job = rq_stack.submit("it/slow")
    r_pid = rq_stack.wait_running_pid(job, "slow")
    worker = rq_stack.worker_of(job)
    assert parent_of(r_pid) == worker.pid  # no work horse between them
    os.kill(worker.pid, signal.SIGKILL)
    worker.kill()  # reap it

    # The plot's process dies with its worker; the reconciler re-queues the job.
    wait_until(lambda: not process_exists(r_pid), 10, 0.05, what="the orphaned R process to be stopped")
    done = rq_stack.wait_finished(job, timeout=LOST_WITHIN_S)
    assert_rerun_or_worker_lost(done)
    if done.state == "succeeded":  # run again, to the end, by the worker still alive
        assert done.worker_id != f"rq:{worker.name}"
        assert REQUEUED_LINE in [entry.line for entry in rq_stack.service.logs(job.id)]
        assert {o["name"] for o in done.outputs} >= {"slow.png"}
    assert processes_in(rq_stack.settings.jobs_dir) == []


def test_a_cold_shutdown_stops_the_running_job_and_hands_it_back_to_the_queue(rq_stack: RQStack) -> None:
    job = rq_stack.submit("it/slow")
    r_pid = rq_stack.wait_running_pid(job, "slow")
    worker = rq_stack.worker_of(job)
    os.kill(worker.pid, signal.SIGTERM)  # warm: the job would run to its end...
    time.sleep(1.2)  # (RQ ignores a second signal within a second of the first)
    os.kill(worker.pid, signal.SIGTERM)  # ...cold: stop it now

    wait_until(lambda: not process_exists(r_pid), 10, 0.05, what="the plot's R process to be stopped")
    assert worker.process is not None and worker.process.wait(30) == 0
    done = rq_stack.wait_finished(job, timeout=LOST_WITHIN_S)
    assert done.state == "succeeded", (done.reason, done.message)
    assert done.worker_id != f"rq:{worker.name}"  # run again, by another worker
    assert done.attempts == 1  # a stop is not a failed attempt
    assert REQUEUED_LINE in [entry.line for entry in rq_stack.service.logs(job.id)]
    assert processes_in(rq_stack.settings.jobs_dir) == []


def test_killing_only_the_plot_process_fails_that_job_at_once_and_the_worker_runs_the_next(
        rq_stack: RQStack) -> None:
    job = rq_stack.submit("jobs/sleepy")
    r_pid = rq_stack.wait_running_pid(job, "sleepy")
    # Found as a tool would find it: the process working in the job's folder.
    assert processes_in(Path(job.job_dir)) == [r_pid]
    worker = rq_stack.worker_of(job)
    os.kill(r_pid, signal.SIGKILL)

    done = rq_stack.wait_finished(job, timeout=15)
    assert (done.state, done.reason) == ("failed", "killed"), done.message
    assert worker.alive()
    # Idle workers are served in turn: within a few jobs the same worker runs one to success.
    for _ in range(6):
        follow_up = rq_stack.wait_finished(rq_stack.submit("jobs/quick"))
        assert follow_up.state == "succeeded", follow_up.message
        if follow_up.worker_id == f"rq:{worker.name}":
            break
    else:
        pytest.fail(f"worker {worker.name} ran no job after its plot process was killed\n{worker.log_tail()}")


def test_after_redis_restarts_empty_the_reconciler_hands_back_every_queued_job(rq_stack: RQStack) -> None:
    rq_stack.backend.stop()  # this test runs the reconciler itself
    try:
        blockers = [rq_stack.submit("it/slow") for _ in rq_stack.workers]
        for job in blockers:
            rq_stack.wait_running_pid(job, "slow")
        waiting = [rq_stack.submit("it/ggbox") for _ in range(6)]
        assert set(rq_stack.backend.queue.get_job_ids()) >= {job.id for job in waiting}

        rq_stack.redis.restart_empty()
        assert rq_stack.backend.queue.get_job_ids() == []
        assert {rq_stack.get(job).state for job in waiting} == {"queued"}

        handed_back: set[str] = set()

        def reconciled() -> bool:
            summary = reconcile(rq_stack.settings, rq_stack.backend)
            assert not (summary.requeued or summary.failed)  # the running jobs still beat: not lost
            handed_back.update(summary.enqueued)
            # Rows younger than QUEUED_GRACE are left for the next pass (their enqueue may be on its way).
            return handed_back >= {job.id for job in waiting}

        wait_until(reconciled, 30, 0.5, what="the reconciler to hand the queued jobs back to Redis")
        again = reconcile(rq_stack.settings, rq_stack.backend)
        assert not again.enqueued  # now Redis holds them
    finally:
        rq_stack.backend.start()

    for job in [*blockers, *waiting]:
        done = rq_stack.wait_finished(job, timeout=180)
        assert done.state == "succeeded", (done.reason, done.message)
    # The workers outlived the restart, and registered again with the new Redis.
    assert all(worker.alive() for worker in rq_stack.workers.values())
    wait_until(lambda: all(rq_stack.worker_registered(name) for name in rq_stack.workers), 90,
               what="the workers to show up in the restarted Redis")
