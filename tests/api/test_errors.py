"""The error shape for every kind of failure a route can raise, including a bug (the JSON 500)."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from plugin_sdk.params import FieldError, RequestInvalid
from plugin_sdk.tables import TableError
from server.app import create_app
from server.jobs.service import TooBusy, UnknownPlugin
from server.settings import Settings
from tests.api.conftest import assert_error


@pytest.fixture
def failing_app(settings: Settings) -> FastAPI:
    """The real app with one extra route that raises whatever a test names."""
    app = create_app(settings)
    raisers = {
        "bug": lambda: RuntimeError("secret detail of the server"),
        "table": lambda: TableError("datTable", "row 3 has 4 cells but the header has 3 columns", row=3, column="x"),
        "invalid": lambda: RequestInvalid([FieldError("/params/extra/n", "N must be a number"),
                                           FieldError("/tables/datTable", "is empty", table="datTable")]),
        "busy": lambda: TooBusy("You already have 10 jobs waiting; try again when some have finished"),
        "unknown": lambda: UnknownPlugin("There is no plot called 'a/b'."),
    }

    @app.get("/api/raise/{kind}")
    def raise_it(kind: str) -> None:
        raise raisers[kind]()

    return app


def test_a_bug_is_a_logged_json_500_that_reveals_nothing(failing_app: FastAPI,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        answer = TestClient(failing_app, raise_server_exceptions=False).get("/api/raise/bug")
    error = assert_error(answer, 500)
    assert "secret detail" not in answer.text and "Traceback" not in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert error["field_errors"] == []
    assert any(record.exc_info and "secret detail" in str(record.exc_info[1]) for record in caplog.records)


def test_a_table_error_names_table_row_and_column(failing_app: FastAPI) -> None:
    error = assert_error(TestClient(failing_app).get("/api/raise/table"), 422)
    assert error["field_errors"] == [{"field": "/tables/datTable", "message": error["message"],
                                      "column": "x", "row": 3, "table": "datTable"}]


def test_request_invalid_lists_every_field_error(failing_app: FastAPI) -> None:
    error = assert_error(TestClient(failing_app).get("/api/raise/invalid"), 422)
    assert [e["field"] for e in error["field_errors"]] == ["/params/extra/n", "/tables/datTable"]
    assert error["message"].startswith("N must be a number")


def test_too_busy_is_429_with_retry_after(failing_app: FastAPI) -> None:
    answer = TestClient(failing_app).get("/api/raise/busy")
    assert "try again" in assert_error(answer, 429)["message"]
    assert answer.headers["retry-after"] == "30"


def test_unknown_plugin_is_404(failing_app: FastAPI) -> None:
    assert assert_error(TestClient(failing_app).get("/api/raise/unknown"), 404)["message"] == \
        "There is no plot called 'a/b'."


def test_wrong_method_and_unknown_route_keep_the_shape(client: TestClient) -> None:
    assert_error(client.delete("/api/health"), 405)
    assert_error(client.get("/api/no/such/route"), 404)
