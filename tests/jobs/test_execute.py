"""execute_job's guarantees that need no plot to run: claims, and never leaving a job running."""

from __future__ import annotations

from pathlib import Path

from plugin_sdk.catalogue import Catalogue
from server.jobs.execute import execute_job, step_text
from server.jobs.folders import SUBMISSION_FILE
from server.jobs.service import JobService
from server.jobs.states import INTERNAL
from server.settings import Settings

REQUEST = {"use_example": True}


def test_a_job_another_worker_claimed_or_cancelled_is_left_alone(service: JobService, settings: Settings,
                                                                   catalogue: Catalogue) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    service.cancel("alice", job.id)
    execute_job(job.id, settings, worker_id="w-test", catalogue=catalogue)
    after = service.get("alice", job.id)
    assert (after.state, after.attempts, after.worker_id) == ("cancelled", 0, None)


def test_an_error_inside_the_server_fails_the_job_with_a_message(service: JobService, settings: Settings,
                                                                  catalogue: Catalogue) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    (Path(job.job_dir) / SUBMISSION_FILE).unlink()  # the job folder lost its inputs
    execute_job(job.id, settings, worker_id="w-test", catalogue=catalogue)
    after = service.get("alice", job.id)
    assert (after.state, after.reason, after.attempts) == ("failed", INTERNAL, 1)
    assert "Something went wrong on the server while running this job (FileNotFoundError)" in after.message
    assert after.finished_at is not None
    assert [line.line for line in service.logs(job.id)] == ["Server error: FileNotFoundError"]


def test_a_plugin_removed_since_submit_fails_the_job(service: JobService, settings: Settings,
                                                      tmp_path: Path) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    empty = Catalogue.load([tmp_path / "no-plugins"])
    execute_job(job.id, settings, worker_id="w-test", catalogue=empty)
    after = service.get("alice", job.id)
    assert (after.state, after.reason) == ("failed", "plugin_error")
    assert after.message == "The plot 'jobs/quick' is no longer available on this server."


def test_step_labels_keep_their_english_half() -> None:
    assert step_text("en:Run plot script;zh_cn:运行绘图脚本") == "Run plot script"
    assert step_text(["en:Read data;zh_cn:读取数据"]) == "Read data"
    assert step_text("Drawing") == "Drawing"
    assert step_text(None) == ""
