"""Jobs through the embedded pool: real worker processes, real R, SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from server.db import Job
from tests.jobs.conftest import Pool, new_owner, wait_until
from tests.support import process_exists

pytestmark = pytest.mark.slow

EXAMPLE = {"use_example": True}


@pytest.fixture(scope="session")
def volcano(pool: Pool) -> tuple[str, Job]:
    """The bundled volcano plot run once from its example, per database kind."""
    owner = new_owner()
    job = pool.service.submit(owner, "basic/volcano", EXAMPLE)
    assert job.state == "queued"
    return owner, pool.wait_finished(owner, job.id)


def output_names(job: Job) -> list[str]:
    return sorted(output["name"] for output in job.outputs)


def test_a_bundled_plugin_runs_to_success_with_its_files_on_disk(pool: Pool, volcano: tuple[str, Job]) -> None:
    owner, job = volcano
    assert (job.state, job.reason, job.message, job.attempts) == ("succeeded", None, "", 1), job.message
    assert {"volcano.pdf", "volcano.png", "volcano.svg", "reproduce.zip"} <= set(output_names(job))
    for output in job.outputs:
        path = pool.service.output_path(owner, job.id, output["name"])
        assert path is not None and path.stat().st_size == output["size"] > 0
        assert path.is_relative_to(Path(job.job_dir))
    assert job.started_at <= job.finished_at
    assert job.heartbeat_at is None and job.cancel_requested is False


def test_log_lines_and_steps_reach_the_record(pool: Pool, volcano: tuple[str, Job]) -> None:
    _, job = volcano
    entries = pool.service.logs(job.id)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert any(e.kind == "step" and '"run-script"' in e.line for e in entries)
    assert job.step  # the last step the run entered, in English
    later = pool.service.logs(job.id, after_seq=entries[-1].seq - 1)
    assert [e.seq for e in later] == [entries[-1].seq]


def test_output_path_refuses_names_the_record_does_not_list(pool: Pool, volcano: tuple[str, Job]) -> None:
    owner, job = volcano
    for name in ("../../secret_key", "log.txt", "job.json", "/etc/passwd", "output/volcano.pdf"):
        assert pool.service.output_path(owner, job.id, name) is None
    assert pool.service.output_path(new_owner(), job.id, "volcano.pdf") is None


def test_resubmitting_a_figure_is_answered_from_the_cache(pool: Pool, volcano: tuple[str, Job]) -> None:
    _, original = volcano
    someone_else = new_owner()
    copy = pool.service.submit(someone_else, "basic/volcano", EXAMPLE)
    assert (copy.state, copy.attempts) == ("succeeded", 0)
    assert output_names(copy) == output_names(original)
    assert copy.job_dir != original.job_dir  # never a shared folder
    for output in copy.outputs:
        mine = pool.service.output_path(someone_else, copy.id, output["name"])
        theirs = Path(original.job_dir) / "output" / output["name"]
        if output["kind"] != "bundle":
            assert mine.read_bytes() == theirs.read_bytes()
    assert pool.service.logs(copy.id)[0].line.startswith("Reused the figures of an identical earlier run")


def test_the_cache_can_be_bypassed(pool: Pool, volcano: tuple[str, Job]) -> None:
    owner = new_owner()
    fresh = pool.service.submit(owner, "basic/volcano", EXAMPLE, allow_cached=False)
    assert fresh.state == "queued"
    pool.service.cancel(owner, fresh.id)
    assert pool.wait_finished(owner, fresh.id).state == "cancelled"


def test_a_failing_plot_fails_with_its_reason_and_a_readable_message(pool: Pool) -> None:
    owner = new_owner()
    job = pool.service.submit(owner, "jobs/fails", EXAMPLE)
    done = pool.wait_finished(owner, job.id)
    assert (done.state, done.reason) == ("failed", "plugin_error")
    assert "column 'Count' holds no usable numbers" in done.message
    assert done.outputs == []
    assert "checking the value column" in [e.line for e in pool.service.logs(job.id)]


def test_cancelling_a_running_job_stops_its_r_process_within_two_seconds(pool: Pool) -> None:
    owner = new_owner()
    job = pool.service.submit(owner, "jobs/sleepy", EXAMPLE)
    pid_file = Path(job.job_dir) / ".attempt-1" / "sleepy.pid"
    wait_until(lambda: pid_file.is_file() and pid_file.read_text().strip())
    r_pid = int(pid_file.read_text())
    assert process_exists(r_pid)
    # While it runs, its lines and its step reach the record (a page follows them live).
    wait_until(lambda: "sleeping" in [e.line for e in pool.service.logs(job.id)], timeout=10)
    running = wait_until(lambda: (j := pool.service.get(owner, job.id)) and j.step == "Run plot script" and j,
                         timeout=10)
    assert running.state == "running"
    assert running.heartbeat_at is not None and running.worker_id.startswith(pool.backend.pool_id)

    asked = time.monotonic()
    answer: Any = pool.service.cancel(owner, job.id)
    assert answer.cancel_requested and answer.state in ("running", "cancelled")
    while process_exists(r_pid) and time.monotonic() - asked < 2.0:
        time.sleep(0.05)
    assert not process_exists(r_pid), "the R process was still running 2 s after the cancel"

    done = pool.wait_finished(owner, job.id, timeout=30)
    assert (done.state, done.reason, done.message) == ("cancelled", "cancelled", "The job was cancelled.")
    assert done.outputs == []


def test_the_workers_are_separate_processes(pool: Pool) -> None:
    pids = pool.backend.worker_pids
    assert len(pids) == pool.settings.workers
    assert os.getpid() not in pids and all(process_exists(pid) for pid in pids)
