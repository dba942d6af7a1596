"""Real runs through the API: the app's lifespan starts the embedded pool, R draws the plots.

One app per module (starting workers costs seconds); each test uses its own session.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.db import init_database
from server.db.engine import dispose_engines
from tests.api.conftest import assert_error, make_settings, read_events, submit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def running_app(tmp_path_factory: pytest.TempPathFactory, r_library: Path) -> Iterator[FastAPI]:
    """An app with its worker pool started (r_library first: workers inherit PLOTFORGE_R_LIBS)."""
    settings = make_settings(tmp_path_factory.mktemp("runs") / "var", workers=2)
    init_database(settings)
    app = create_app(settings)
    with TestClient(app):  # runs the lifespan: the pool starts here and stops at the end
        yield app
    dispose_engines(settings.database_url)


@pytest.fixture
def browser(running_app: FastAPI) -> TestClient:
    return TestClient(running_app)


def run_to_the_end(client: TestClient, plugin: str, **request: Any) -> tuple[dict[str, Any], list]:
    answer = submit(client, plugin, **request)
    assert answer.status_code == 202, answer.text
    events = read_events(client, answer.json()["id"])
    assert events[-1][0] == "done"
    return events[-1][1], events


def test_a_bundled_r_plugin_runs_to_succeeded_and_its_pdf_downloads(browser: TestClient) -> None:
    job, events = run_to_the_end(browser, "basic/volcano")
    assert job["state"] == "succeeded", job
    assert job["reason"] is None and job["cached"] is False
    assert [e for e, _ in events].count("done") == 1
    states = [data["state"] for name, data in events if name == "state"]
    assert states[-1] == "succeeded" and set(states) <= {"queued", "running", "succeeded"}
    names = {o["name"]: o for o in job["outputs"]}
    assert {"volcano.pdf", "volcano.png", "volcano.svg"} <= set(names)
    pdf = browser.get(names["volcano.pdf"]["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert len(pdf.content) == names["volcano.pdf"]["size"]
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == "attachment; filename=\"volcano.pdf\"; filename*=UTF-8''volcano.pdf"
    assert pdf.headers["x-content-type-options"] == "nosniff"
    assert pdf.headers["content-security-policy"] == \
        "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    preview = browser.get(names["volcano.png"]["url"], params={"inline": 1})
    assert preview.headers["content-disposition"].startswith("inline;") and preview.content.startswith(b"\x89PNG")
    svg = browser.get(names["volcano.svg"]["url"], params={"inline": 1})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.headers["content-security-policy"].startswith("sandbox;")

    bundle = browser.get(job["bundle_url"])
    assert bundle.status_code == 200 and "reproduce.zip" in bundle.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(bundle.content)) as archive:
        assert archive.testzip() is None and archive.namelist()


def test_the_same_request_again_is_a_cache_hit_with_its_own_files(browser: TestClient) -> None:
    first, _ = run_to_the_end(browser, "jobs/quick", params={"general": {"title": "cached"}})
    assert first["state"] == "succeeded"
    again = submit(browser, "jobs/quick", params={"general": {"title": "cached"}}).json()
    assert again["state"] == "succeeded" and again["cached"] is True and again["id"] != first["id"]
    pdf = next(o for o in again["outputs"] if o["name"] == "quick.pdf")
    assert browser.get(pdf["url"]).content.startswith(b"%PDF")
    fresh = browser.post("/api/jobs", json={"plugin": "jobs/quick", "allow_cached": False, "request": {
        "use_example": True, "params": {"general": {"title": "cached"}}}}).json()
    assert fresh["state"] == "queued" and fresh["cached"] is False


def test_outputs_are_private_to_the_session_and_names_are_matched_not_joined(browser: TestClient,
                                                                             running_app: FastAPI) -> None:
    job, _ = run_to_the_end(browser, "jobs/quick")
    assert job["state"] == "succeeded"
    stranger = TestClient(running_app)
    for output in job["outputs"]:
        assert_error(stranger.get(output["url"]), 404)
    assert_error(stranger.get(job["bundle_url"]), 404)
    assert_error(stranger.get(f"/api/jobs/{job['id']}/events"), 404)
    base = f"/api/jobs/{job['id']}/files/"
    for trick in ("..%2Fsubmitted.json", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "submitted.json",
                  "job.json", "log.txt", "quick.PDF", "quick.pdf%00.png"):
        answer = browser.get(base + trick)
        assert answer.status_code == 404, trick
        assert answer.headers["content-type"].startswith("application/json")


def test_a_failing_plot_reads_failed_with_its_own_message_and_log(browser: TestClient) -> None:
    job, events = run_to_the_end(browser, "jobs/fails")
    assert job["state"] == "failed"
    assert job["reason"] == "plugin_error"
    assert "Count" in job["message"]
    assert job["outputs"] == [] and job["bundle_url"] is None and job["cached"] is False
    lines = [data["line"] for name, data in events if name == "log"]
    assert any("checking the value column" in line for line in lines)
    assert browser.get(f"/api/jobs/{job['id']}").json() == job


def test_events_resume_after_the_last_event_id(browser: TestClient) -> None:
    job, events = run_to_the_end(browser, "jobs/fails")
    logs = [(name, data) for name, data in events if name in ("log", "step")]
    assert len(logs) >= 2
    last_seen = logs[0][1]["seq"]
    resumed = read_events(browser, job["id"], headers={"Last-Event-ID": str(last_seen)})
    resumed_seqs = [data["seq"] for name, data in resumed if name in ("log", "step")]
    assert resumed_seqs == [data["seq"] for _, data in logs[1:]]
    assert json.dumps(resumed[-1][1], sort_keys=True) == json.dumps(job, sort_keys=True)


def test_cancelling_a_running_job_stops_it(browser: TestClient) -> None:
    job_id = submit(browser, "jobs/sleepy").json()["id"]
    seen_running = False
    with browser.stream("GET", f"/api/jobs/{job_id}/events") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:") and '"state": "running"' in line and not seen_running:
                seen_running = True
                assert browser.post(f"/api/jobs/{job_id}/cancel").status_code == 200
            if line.startswith("event: done"):
                break
    assert seen_running
    job = browser.get(f"/api/jobs/{job_id}").json()
    assert job["state"] == "cancelled" and job["reason"] == "cancelled"
