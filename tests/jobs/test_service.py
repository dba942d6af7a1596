"""The job service without workers: submit, look, cancel, caps, owners (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from plugin_sdk.catalogue import Catalogue
from server.jobs.embedded import EmbeddedBackend
from server.jobs.folders import SUBMISSION_FILE
from server.jobs.service import JobService, RequestInvalid, TooBusy, UnknownPlugin
from server.settings import Settings
from tests.jobs.conftest import make_settings

TABLE = "Name\tCount\nA\t3\nB\t5\nC\t2\n"
REQUEST = {"tables": {"datTable": TABLE}, "params": {"dataArg": {"datTable": [{"value": "Name"}, {"value": "Count"}]}}}


def test_a_valid_request_is_recorded_queued_in_its_own_folder(service: JobService, settings: Settings) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    assert job.state == "queued" and job.attempts == 0 and job.reason is None
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", job.id)  # 16 random bytes
    assert Path(job.job_dir) == settings.jobs_dir / job.id[:2] / job.id
    assert (Path(job.job_dir) / SUBMISSION_FILE).is_file()
    assert job.config["dataArg"]["datTable"][1]["value"] == "Count"
    assert len(job.request_hash) == 64 and job.plugin_hash
    # The table's text is kept in the folder; the record keeps its shape.
    assert job.request["tables"] == {"datTable": {"rows": 3, "columns": 2}}
    submitted = json.loads((Path(job.job_dir) / SUBMISSION_FILE).read_text())
    assert submitted["tables"][0]["rows"] == [["A", "3"], ["B", "5"], ["C", "2"]]


def test_the_same_request_hashes_the_same_and_a_change_does_not(service: JobService) -> None:
    first = service.submit("alice", "jobs/quick", REQUEST)
    again = service.submit("bob", "jobs/quick", REQUEST)
    changed = service.submit("alice", "jobs/quick", {**REQUEST, "tables": {"datTable": TABLE + "D\t7\n"}})
    assert first.request_hash == again.request_hash != changed.request_hash
    assert first.id != again.id


def test_an_unknown_plugin_is_refused(service: JobService) -> None:
    with pytest.raises(UnknownPlugin, match="There is no plot called 'basic/nothing'"):
        service.submit("alice", "basic/nothing", REQUEST)


def test_field_errors_come_back_all_at_once_and_nothing_is_recorded(service: JobService) -> None:
    bad = {"params": {"dataArg": {"datTable": [{"value": "Name"}, {"value": "Nope"}]}},
           "tables": {"datTable": TABLE}, "colour": "red"}
    with pytest.raises(RequestInvalid) as caught:
        service.submit("alice", "jobs/quick", bad)
    fields = {error.field for error in caught.value.errors}
    assert "/colour" in fields
    assert any(field.startswith("/params/dataArg/datTable/1") for field in fields)
    assert service.list("alice") == []


def test_another_owners_job_is_invisible(service: JobService) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    assert service.get("alice", job.id) is not None
    assert service.get("mallory", job.id) is None
    assert service.list("mallory") == []
    assert service.cancel("mallory", job.id) is None
    assert service.output_path("mallory", job.id, "quick.png") is None
    assert service.get("alice", job.id).state == "queued"


def test_list_shows_the_owners_jobs_newest_first(service: JobService) -> None:
    ids = [service.submit("alice", "jobs/quick", REQUEST).id for _ in range(3)]
    service.submit("bob", "jobs/quick", REQUEST)
    assert [job.id for job in service.list("alice")] == ids[::-1]
    assert [job.id for job in service.list("alice", limit=2)] == ids[:0:-1]


def test_cancelling_a_queued_job_is_immediate_and_final(service: JobService) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    cancelled = service.cancel("alice", job.id)
    assert cancelled is not None
    assert (cancelled.state, cancelled.reason) == ("cancelled", "cancelled")
    assert cancelled.message == "The job was cancelled."
    assert cancelled.finished_at is not None
    assert service.cancel("alice", job.id).state == "cancelled"  # again: nothing changes


def test_a_user_with_ten_jobs_waiting_is_told_to_wait(service: JobService) -> None:
    for _ in range(10):
        service.submit("alice", "jobs/quick", REQUEST)
    with pytest.raises(TooBusy) as caught:
        service.submit("alice", "jobs/quick", REQUEST)
    assert str(caught.value) == "You already have 10 jobs waiting; try again when some have finished"
    service.submit("bob", "jobs/quick", REQUEST)  # others are not held back
    first = service.list("alice", limit=10)[-1]
    service.cancel("alice", first.id)
    service.submit("alice", "jobs/quick", REQUEST)  # a freed place can be used again


def test_the_whole_queue_has_a_cap(tmp_path: Path, database_url: str, catalogue: Catalogue) -> None:
    from server.db import init_database

    settings = make_settings(tmp_path, database_url, max_queue=3)
    init_database(settings)
    service = JobService(settings, catalogue, EmbeddedBackend(settings))
    for owner in ("a", "b", "c"):
        service.submit(owner, "jobs/quick", REQUEST)
    with pytest.raises(TooBusy, match="The server already has 3 jobs waiting"):
        service.submit("d", "jobs/quick", REQUEST)


def test_output_path_only_serves_listed_files(service: JobService) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    assert service.output_path("alice", job.id, "quick.png") is None  # nothing listed yet
    assert service.output_path("alice", job.id, "../../secret_key") is None
    assert service.output_path("alice", job.id, SUBMISSION_FILE) is None


def test_logs_of_a_job_without_any_are_empty(service: JobService) -> None:
    job = service.submit("alice", "jobs/quick", REQUEST)
    assert service.logs(job.id) == []
