"""Fixtures of the HTTP API's tests: a real app on a real SQLite database in tmp_path.

`client` talks to an app whose backend is not started (no lifespan), so submitted jobs stay
queued and tests stay fast; the slow tests start the lifespan and with it the worker pool.
Each `TestClient` keeps its own cookies, so `client` and `stranger` are two browser sessions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from server.app import create_app
from server.db import init_database
from server.db.engine import dispose_engines
from server.jobs.folders import job_dir_for
from server.settings import ENV_PREFIX, Settings, load_settings

TESTS = Path(__file__).resolve().parent.parent
FIXTURE_PLUGINS = TESTS / "fixtures" / "jobs_plugins"  # jobs/quick, jobs/fails, jobs/sleepy
VOLCANO_COLUMNS = [{"value": "Symbol"}, {"value": "P.Value"}, {"value": "logFC"}]


@pytest.fixture(scope="session", autouse=True)
def _no_operator_settings() -> Iterator[None]:
    """The developer's own PLOTFORGE_* settings must not leak into the tests."""
    names = {ENV_PREFIX + field.upper() for field in Settings.model_fields}
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name in names}
    yield
    os.environ.update(saved)


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"plugin_dirs": [FIXTURE_PLUGINS], "workers": 1, "warm": False, "max_upload_mb": 1,
                              **overrides}
    return load_settings(data_dir=data_dir, **values)


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    settings = make_settings(tmp_path / "var")
    init_database(settings)
    yield settings
    dispose_engines(settings.database_url)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def stranger(app: FastAPI) -> TestClient:
    """Another browser session on the same server."""
    return TestClient(app)


def job_folder(settings: Settings, job_id: str) -> Path:
    return job_dir_for(settings.jobs_dir, job_id)


def assert_error(response: Any, status: int) -> dict[str, Any]:
    """The response is our JSON error shape with ``status``; returns its "error" object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["field_errors"], list)
    return error


def submit(client: TestClient, plugin: str = "jobs/quick", **request: Any) -> Any:
    request.setdefault("use_example", True)
    return client.post("/api/jobs", json={"plugin": plugin, "request": request})


def read_events(client: TestClient, job_id: str, headers: dict[str, str] | None = None) -> list[tuple[str, Any]]:
    """The (event, data) pairs of a job's event stream, read to its end."""
    events = []
    with client.stream("GET", f"/api/jobs/{job_id}/events", headers=headers or {}) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in answer.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
    return events
