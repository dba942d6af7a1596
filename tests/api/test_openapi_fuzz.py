"""Schemathesis against /api/openapi.json: generated requests to every operation must never
get a 5xx, and every answer must match the schema the API publishes.

The schema is read from the app object at import (no request, so nothing starts then);
schemathesis starts the app's lifespan, and with it a one-worker pool, at the first call,
and `_stop_the_app` stops it after the last.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.python.asgi import shutdown_lifespans

from server.app import create_app
from server.db.engine import dispose_engines
from tests.api.conftest import make_settings

pytestmark = pytest.mark.slow

# schemathesis 4's lazy pytest loader (from_fixture) fails under pytest 9, so the app is made
# at import, in a folder of its own.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="plotforge-fuzz-"))
atexit.register(shutil.rmtree, _DATA_DIR, ignore_errors=True)
APP_SETTINGS = make_settings(_DATA_DIR / "var", workers=1)
APP = create_app(APP_SETTINGS)

schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP
schema.location = "/api/openapi.json"


@pytest.fixture(scope="module", autouse=True)
def _stop_the_app() -> Iterator[None]:
    yield
    shutdown_lifespans()
    dispose_engines(APP_SETTINGS.database_url)


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_matches_the_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
