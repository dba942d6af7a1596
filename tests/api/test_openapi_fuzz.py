"""Schemathesis against /api/openapi.json: generated requests to every operation must never
get a 5xx, and every answer must match the schema the API publishes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.python.asgi import shutdown_lifespans

from server.app import create_app
from server.db import init_database
from server.db.engine import dispose_engines
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    data_dir: Path = tmp_path_factory.mktemp("fuzz") / "var"
    app_settings = make_settings(data_dir, workers=1)
    init_database(app_settings)
    app = create_app(app_settings)
    yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    shutdown_lifespans()  # schemathesis started the app's lifespan (and so its worker pool): stop it
    dispose_engines(app_settings.database_url)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_matches_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
