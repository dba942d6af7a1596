"""Fixtures of the job service's tests: real databases, real worker processes, real R.

Every database test runs on SQLite and on PostgreSQL. The PostgreSQL ones get a private
database `plotforge_test_<random>` on 127.0.0.1:5432 (user postgres; override with
PLOTFORGE_TEST_POSTGRES) that is dropped afterwards; they are skipped, saying why, when no
server accepts connections there.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.loader import BUNDLED_PLUGINS
from server.db import init_database
from server.db.engine import dispose_engines
from server.jobs.embedded import EmbeddedBackend
from server.jobs.service import JobService
from server.settings import ENV_PREFIX, Settings, load_settings
from tests import support

TESTS = Path(__file__).resolve().parent.parent
FIXTURE_PLUGINS = TESTS / "fixtures" / "jobs_plugins"
POSTGRES_SERVER = os.environ.get("PLOTFORGE_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres")
DATABASES = ["sqlite", "postgresql"]
RUN_TIMEOUT_S = 240  # a cold Rscript with Hiplot's preload takes 5-25 s on a busy 2-core machine

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float = RUN_TIMEOUT_S, interval: float = 0.1) -> T:
    """tests.support.wait_until with this package's default: long enough for a cold Rscript."""
    return support.wait_until(probe, timeout, interval)


# -- environment ------------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _no_operator_settings() -> Iterator[None]:
    """The developer's own PLOTFORGE_* settings must not leak into the tests."""
    names = {ENV_PREFIX + field.upper() for field in Settings.model_fields}
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name in names}
    yield
    os.environ.update(saved)


# -- databases ------------------------------------------------------------------------------


def _postgres_connect(dbname: str = "postgres") -> Any:
    import psycopg

    return psycopg.connect(f"{POSTGRES_SERVER} dbname={dbname} connect_timeout=3", autocommit=True)


def _postgres_url(dbname: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    info = conninfo_to_dict(POSTGRES_SERVER)
    user = info.get("user", "postgres")
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgresql+psycopg://{user}{password}@{info.get('host', '127.0.0.1')}:{info.get('port', 5432)}/{dbname}"


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh, empty database of ``kind``; yields its URL and removes it afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'plotforge.db'}"
        yield url
        dispose_engines(url)
        return
    import psycopg

    try:
        admin = _postgres_connect()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server accepts connections ({POSTGRES_SERVER}): {exc}".splitlines()[0])
    name = f"plotforge_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        url = _postgres_url(name)
        try:
            yield url
        finally:
            dispose_engines(url)
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    # The fixture plugins are ours: trusted, so they run like the bundled ones (the sandbox
    # for untrusted plugins has its own tests in tests/test_containment.py).
    values: dict[str, Any] = {
        "plugin_dirs": [FIXTURE_PLUGINS],
        "trusted_plugin_dirs": [BUNDLED_PLUGINS, FIXTURE_PLUGINS],
        "workers": 2,
        "warm": False,
        **overrides,
    }
    return load_settings(data_dir=data_dir, database_url=database_url, **values)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings on a fresh, migrated database, with the data folder in tmp_path."""
    settings = make_settings(tmp_path / "var", database_url)
    init_database(settings)
    return settings


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The test plugins (jobs/quick, jobs/fails, jobs/sleepy) and the bundled ones."""
    return Catalogue.load(plugin_roots([FIXTURE_PLUGINS]))


@pytest.fixture
def service(settings: Settings, catalogue: Catalogue) -> JobService:
    """A job service whose backend is never started: jobs stay queued."""
    return JobService(settings, catalogue, EmbeddedBackend(settings))


# -- a running pool, shared by the slow tests of a database kind --------------------------------


@dataclass
class Pool:
    settings: Settings
    service: JobService
    backend: EmbeddedBackend

    def wait_finished(self, owner: str, job_id: str, timeout: float = RUN_TIMEOUT_S) -> Any:
        return wait_until(lambda: (job := self.service.get(owner, job_id)) is not None and job.finished and job,
                          timeout, interval=0.2)


@pytest.fixture(scope="session", params=DATABASES)
def pool(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue,
         r_library: Path) -> Iterator[Pool]:
    """A started embedded pool (2 workers) on its own database; r_library (tests/conftest.py)
    sets PLOTFORGE_R_LIBS before the workers are spawned, so bundled plugins find pacman."""
    folder = tmp_path_factory.mktemp(f"pool-{request.param}")
    with database(request.param, folder) as url:
        settings = make_settings(folder / "var", url)
        init_database(settings)
        backend = EmbeddedBackend(settings)
        backend.start()
        try:
            yield Pool(settings, JobService(settings, catalogue, backend), backend)
        finally:
            backend.stop()


def new_owner() -> str:
    return f"user-{secrets.token_hex(4)}"
