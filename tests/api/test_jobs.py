"""Jobs through the API, without workers: submission and its errors, session ownership,
cancellation, server-sent events, upload references and download-name tricks.
(tests/api/test_runs.py runs real plots through the embedded pool.)"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.db import init_database
from server.settings import Settings
from tests.api.conftest import VOLCANO_COLUMNS, assert_error, job_folder, make_settings, read_events, submit

QUICK_TABLE = "Name\tCount\nA\t3\nB\t5\n"
QUICK_COLUMNS = [{"value": "Name"}, {"value": "Count"}]


# -- submit ---------------------------------------------------------------------------------------


def test_a_valid_submission_is_a_queued_job_of_this_session(client: TestClient) -> None:
    answer = submit(client)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["plugin"] == "jobs/quick" and job["state"] == "queued" and job["cached"] is False
    assert job["outputs"] == [] and job["bundle_url"] is None
    assert job["request"]["use_example"] is True
    assert [e["value"] for e in job["request"]["params"]["dataArg"]["datTable"]] == ["Name", "Count"]
    assert client.get(f"/api/jobs/{job['id']}").json() == job
    assert [j["id"] for j in client.get("/api/jobs").json()["jobs"]] == [job["id"]]


def test_pasted_tables_are_recorded_by_their_shape(client: TestClient) -> None:
    job = submit(client, tables={"datTable": QUICK_TABLE}, params={"dataArg": {"datTable": QUICK_COLUMNS}},
                 use_example=False).json()
    assert job["request"]["tables"] == {"datTable": {"rows": 2, "columns": 2}}


def test_jobs_are_listed_newest_first_and_limited(client: TestClient) -> None:
    ids = [submit(client, params={"general": {"title": f"run {n}"}}).json()["id"] for n in range(3)]
    listed = [j["id"] for j in client.get("/api/jobs").json()["jobs"]]
    assert listed == ids[::-1]
    assert len(client.get("/api/jobs", params={"limit": 2}).json()["jobs"]) == 2
    assert_error(client.get("/api/jobs", params={"limit": 0}), 422)
    assert_error(client.get("/api/jobs", params={"limit": "ten"}), 422)


def test_field_errors_point_into_the_run_request(client: TestClient) -> None:
    error = assert_error(submit(client, "basic/volcano", params={"extra": {"p_cutoff": 2}}), 422)
    assert error["field_errors"][0]["field"] == "/params/extra/p_cutoff"
    assert "between 0 and 1" in error["message"]
    # FastAPI's own validation uses the same coordinates, also inside the submission body.
    error = assert_error(submit(client, "basic/volcano", use_example="yes"), 422)
    assert error["field_errors"][0]["field"] == "/use_example"


def test_a_missing_column_names_table_and_column(client: TestClient) -> None:
    params = {"dataArg": {"datTable": [{"value": "Symbol"}, {"value": "pvalue"}, {"value": "logFC"}]}}
    error = assert_error(submit(client, "basic/volcano", params=params), 422)
    problem = error["field_errors"][0]
    assert problem["field"] == "/params/dataArg/datTable/1/value"
    assert (problem["table"], problem["column"]) == ("datTable", "pvalue")


@pytest.mark.parametrize("body", [
    {"plugin": 5},
    {"request": {}},
    {"plugin": "jobs/quick", "request": {"tables": {"datTable": 42}}},
    {"plugin": "jobs/quick", "request": {"params": "all of them"}},
    {"plugin": "jobs/quick", "request": {"use_example": -1}},
    {"plugin": "jobs/quick", "allow_cached": "perhaps"},
    {"plugin": "jobs/quick", "surprise": True},
    [1, 2, 3],
    "just text",
])
def test_wrong_types_are_422_never_500(client: TestClient, body: Any) -> None:
    assert_error(client.post("/api/jobs", json=body), 422)


def test_a_body_that_is_not_json_is_422(client: TestClient) -> None:
    error = assert_error(client.post("/api/jobs", content=b"{plugin:", headers={"content-type": "application/json"}),
                         422)
    assert error["message"] == "The request body is not valid JSON."


def test_unknown_plugin_is_404(client: TestClient) -> None:
    error = assert_error(submit(client, "basic/nothing-like-it"), 404)
    assert "basic/nothing-like-it" in error["message"]
    assert_error(submit(client, "mini-tools/hiplot-shiny-demo"), 404)  # a catalogue entry only


def test_a_full_queue_is_429_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", max_queued_per_user=1)
    init_database(settings)
    client = TestClient(create_app(settings))
    assert submit(client).status_code == 202
    answer = submit(client, params={"general": {"title": "another"}})
    error = assert_error(answer, 429)
    assert int(answer.headers["retry-after"]) > 0
    assert "try again" in error["message"]


# -- ownership --------------------------------------------------------------------------------------


def test_another_sessions_job_is_404_everywhere(client: TestClient, stranger: TestClient) -> None:
    job_id = submit(client).json()["id"]
    for path in ("", "/events", "/bundle", "/files/quick.pdf"):
        assert_error(stranger.get(f"/api/jobs/{job_id}{path}"), 404)
    assert_error(stranger.post(f"/api/jobs/{job_id}/cancel"), 404)
    assert stranger.get("/api/jobs").json() == {"jobs": []}
    # and it is untouched for its owner
    assert client.get(f"/api/jobs/{job_id}").json()["state"] == "queued"


def test_unknown_job_ids_are_404(client: TestClient) -> None:
    for job_id in ("nope", "..", "%2e%2e", "x" * 100):
        assert_error(client.get(f"/api/jobs/{job_id}"), 404)
    assert_error(client.get("/api/jobs/" + "x" * 101), 422)


# -- cancel ------------------------------------------------------------------------------------------


def test_a_cancelled_job_reads_cancelled_with_its_reason(client: TestClient) -> None:
    job_id = submit(client).json()["id"]
    cancelled = client.post(f"/api/jobs/{job_id}/cancel")
    assert cancelled.status_code == 200
    job = cancelled.json()
    assert (job["state"], job["reason"]) == ("cancelled", "cancelled")
    assert job["message"] == "The job was cancelled." and job["finished_at"] is not None
    assert job["outputs"] == [] and job["bundle_url"] is None and job["cached"] is False
    # Cancelling again changes nothing; there is nothing to download.
    assert client.post(f"/api/jobs/{job_id}/cancel").json() == job
    assert_error(client.get(f"/api/jobs/{job_id}/bundle"), 404)
    assert_error(client.get(f"/api/jobs/{job_id}/files/quick.pdf"), 404)


def test_events_of_a_finished_job_give_its_state_then_done(client: TestClient) -> None:
    job_id = submit(client).json()["id"]
    client.post(f"/api/jobs/{job_id}/cancel")
    events = read_events(client, job_id)
    assert [name for name, _ in events] == ["state", "done"]
    assert events[0][1] == {"state": "cancelled", "step": "", "reason": "cancelled",
                            "message": "The job was cancelled."}
    assert events[1][1]["id"] == job_id and events[1][1]["state"] == "cancelled"


@pytest.mark.parametrize("name", ["../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2E%2E", "submitted.json",
                                  "%2Fetc%2Fpasswd", "output/quick.pdf"])
def test_path_tricks_in_download_names_are_404(client: TestClient, name: str) -> None:
    job_id = submit(client).json()["id"]
    answer = client.get(f"/api/jobs/{job_id}/files/{name}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")


# -- upload references ----------------------------------------------------------------------------------


def upload_table(client: TestClient, name: str, content: bytes) -> str:
    answer = client.post("/api/uploads", files={"file": (name, content)})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_an_uploaded_table_is_submitted_as_table_text(client: TestClient, settings: Settings) -> None:
    upload_id = upload_table(client, "counts.csv", b"Name,Count\nA,3\nB,5\nC,7\n")
    job = submit(client, tables={"datTable": {"upload": upload_id}}, params={"dataArg": {"datTable": QUICK_COLUMNS}},
                 use_example=False).json()
    assert job["state"] == "queued"
    assert job["request"]["tables"] == {"datTable": {"rows": 3, "columns": 2}}
    submitted = json.loads((job_folder(settings, job["id"]) / "submitted.json").read_text())
    assert submitted["tables"][0]["rows"] == [["A", "3"], ["B", "5"], ["C", "7"]]


def test_another_sessions_upload_in_a_request_is_a_404_field_error(client: TestClient,
                                                                   stranger: TestClient) -> None:
    upload_id = upload_table(client, "counts.tsv", QUICK_TABLE.encode())
    error = assert_error(submit(stranger, tables={"datTable": {"upload": upload_id}}, use_example=False), 404)
    assert error["field_errors"][0]["field"] == "/tables/datTable"
    error = assert_error(stranger.post("/api/plugins/jobs/quick/validate",
                                       json={"tables": {"datTable": {"upload": upload_id}}}), 404)
    assert error["field_errors"][0]["table"] == "datTable"


def test_a_cloud_file_upload_is_copied_into_the_job_under_its_generated_name(client: TestClient,
                                                                              settings: Settings) -> None:
    upload_id = upload_table(client, "my genes.tsv", b"gene\tcategory\nG1\tx\nG2\ty\n")
    job = submit(client, "basic/heatmap", params={"data": {"geneInfo": {"value": upload_id}}})
    assert job.status_code == 202, job.text
    body = job.json()
    assert body["request"]["params"]["data"]["geneInfo"] == {"value": f"{upload_id}.tsv", "link": ""}
    copied = job_folder(settings, body["id"]) / "uploads" / f"{upload_id}.tsv"
    assert copied.read_bytes() == b"gene\tcategory\nG1\tx\nG2\ty\n"
    # Resubmitting the resolved config (which names the generated file) finds the same upload.
    again = submit(client, "basic/heatmap", params={"data": body["request"]["params"]["data"]})
    assert again.status_code == 202
    # The example's own file passes through untouched.
    example = submit(client, "basic/heatmap").json()
    assert example["request"]["params"]["data"]["geneInfo"]["value"] == "gene.info.txt"


@pytest.mark.parametrize("value", ["../../etc/passwd", "/etc/passwd", "gene.info.txt/../../x", "nope"])
def test_path_tricks_in_a_cloud_file_value_are_refused(client: TestClient, settings: Settings, value: str) -> None:
    answer = submit(client, "basic/heatmap", params={"data": {"geneInfo": {"value": value}}})
    error = assert_error(answer, 404 if answer.status_code == 404 else 422)
    assert error["field_errors"][0]["field"].startswith("/params/data/geneInfo/value")
    assert not settings.jobs_dir.exists() or not any(settings.jobs_dir.rglob("passwd"))


def test_a_cloud_file_of_a_kind_the_input_does_not_take_is_422(client: TestClient) -> None:
    book = openpyxl.Workbook()
    book.active.append(["gene", "category"])
    book.active.append(["G1", "x"])
    buffer = io.BytesIO()
    book.save(buffer)
    upload_id = upload_table(client, "genes.xlsx", buffer.getvalue())
    error = assert_error(submit(client, "basic/heatmap", params={"data": {"geneInfo": {"value": upload_id}}}), 422)
    assert "TSV, CSV, TXT" in error["field_errors"][0]["message"]


def test_validate_accepts_a_good_request_and_explains_a_bad_one(client: TestClient) -> None:
    assert client.post("/api/plugins/basic/volcano/validate", json={"use_example": True}).json() == {"ok": True}
    error = assert_error(client.post("/api/plugins/basic/volcano/validate", json={
        "tables": {"datTable": "Symbol\tP.Value\tlogFC\nTP53\t0.01\t2\n"},
        "params": {"dataArg": {"datTable": VOLCANO_COLUMNS}, "extra": {"top_n": "many"}},
    }), 422)
    assert error["field_errors"][0]["field"] == "/params/extra/top_n"


def test_the_api_never_answers_500_to_strange_ids(app: FastAPI) -> None:
    client = TestClient(app, raise_server_exceptions=True)
    for path in ("/api/jobs/%00", "/api/jobs/%F0%9F%90%8D/files/%00", "/api/uploads/%FF",
                 "/api/plugins/%00/%00", "/api/plugins/basic/volcano/example?index=99999999999999999999"):
        assert client.get(path).status_code in (404, 422), path


def test_a_json_body_past_the_cap_is_413_counted_not_trusted(client: TestClient) -> None:
    huge = "x" * (3 * 1024 * 1024 + 10)  # the cap for JSON bodies is 2 x 1 MB + 1 MB in these tests
    error = assert_error(client.post("/api/jobs", json={"plugin": "jobs/quick", "request": {"tables": {
        "datTable": huge}}}), 413)
    assert "3 MB" in error["message"]
