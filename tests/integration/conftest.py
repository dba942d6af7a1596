"""The RQ backend for real: a private redis-server, `plotforge worker` processes, real R.

`redis_server` starts one password-protected redis-server on a free loopback port in a
temporary folder, without persistence (as the tests of a Redis restart need); never 6379.
`rq_stack` adds a SQLite database, a data folder and two `plotforge worker` subprocesses that
share them, and a job service in this process whose RQ backend reconciles every second, as
`plotforge serve` does. The workers run with small limits (PLOTFORGE_JOB_*), so the
misbehaving plugins of tests/integration/plugins fail quickly, each with its own reason.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.loader import BUNDLED_PLUGINS
from server.db import Job, init_database
from server.db.engine import dispose_engines
from server.jobs.rq_backend import RQBackend
from server.jobs.service import JobService
from server.settings import ENV_PREFIX, Settings, load_settings
from tests.support import process_exists, wait_until

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
INTEGRATION_PLUGINS = HERE / "plugins"
JOB_PLUGINS = REPO / "tests" / "fixtures" / "jobs_plugins"  # jobs/quick, jobs/fails, jobs/sleepy
PLOTFORGE = str(Path(sys.executable).parent / "plotforge")
IMPORT_MARKER_VARIABLE = "PLOTFORGE_IT_IMPORT_MARKER"  # see import_probe.py

# Small limits, so each misbehaving plugin meets its own quickly (the warm worker itself uses ~1 GB
# of address space, which a forked child inherits, so the memory cap leaves it about 1 GB).
LIMITS = {"job_wall_clock_s": 10, "job_memory_mb": 2048, "job_max_processes": 16, "job_cpu_s": 60}
WORKER_READY_S = 240  # warming R with the preload set takes 5-30 s on a busy 2-core machine
FINISH_S = 120



def processes_in(folder: Path) -> list[int]:
    """Live processes whose working folder is ``folder`` or inside it (a job's R, its children)."""
    found = []
    target = str(folder.resolve())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if (cwd == target or cwd.startswith(target + os.sep)) and process_exists(int(entry)):
            found.append(int(entry))
    return found


def zombie_children(parent: int) -> list[int]:
    """Exited children ``parent`` has not reaped."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if fields[0] == b"Z" and int(fields[1]) == parent:
            found.append(int(entry))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- Redis ----------------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server: loopback only, a random password, nothing saved to disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self, db: int = 0) -> Redis:
        return Redis.from_url(self.url(db), password=self.password)

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed; run setup/install.sh (Debian package redis-server)")
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - kept by the child
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--requirepass", self.password, "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, close_fds=True,
        )
        log.close()

        def answers() -> bool:
            try:
                return bool(self.client().ping())
            except Exception:
                return False

        wait_until(answers, 30, what="redis-server to answer")

    def kill(self) -> None:
        """SIGKILL: no shutdown save, the way a crash or an OOM kill ends it."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def restart_empty(self) -> None:
        self.kill()
        self.start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session", autouse=True)
def _no_operator_settings() -> Iterator[None]:
    """The developer's own PLOTFORGE_* settings must not leak into the tests or the workers."""
    names = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    saved = {name: os.environ.pop(name) for name in list(os.environ) if name in names}
    yield
    os.environ.update(saved)


# -- workers ---------------------------------------------------------------------------------------


@dataclass
class WorkerProcess:
    """One `plotforge worker` subprocess."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_file: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log_file, "ab") as log:
            self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout: float = 60) -> None:
        """SIGTERM (RQ's warm shutdown), then SIGKILL if it has not stopped."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class RQStack:
    """A job service on the RQ backend, its workers, and the Redis and database they share."""

    settings: Settings
    service: JobService
    backend: RQBackend
    redis: RedisServer
    redis_db: int
    workers: dict[str, WorkerProcess] = field(default_factory=dict)

    def submit(self, plugin: str, owner: str | None = None, *, title: str | None = None, **request: Any) -> Job:
        """Submit ``plugin``'s example; a fresh title makes each job miss the result cache."""
        params = {"general": {"title": title or f"run {secrets.token_hex(6)}"}}
        return self.service.submit(owner or OWNER, plugin, {"use_example": True, "params": params, **request})

    def get(self, job: Job) -> Job:
        found = self.service.get(job.owner, job.id)
        assert found is not None
        return found

    def wait_finished(self, job: Job, timeout: float = FINISH_S) -> Job:
        return wait_until(lambda: (row := self.get(job)).finished and row, timeout, 0.1,
                          what=f"job {job.id} ({job.plugin_key}) to finish\n{self.worker_logs()}")

    def wait_running_pid(self, job: Job, name: str, timeout: float = FINISH_S) -> int:
        """The pid a plugin wrote to <prefix>.pid in its attempt folder (slow, sleepy)."""
        folder = Path(job.job_dir)

        def pid() -> int | None:
            for path in folder.glob(f".attempt-*/{name}.pid"):
                text = path.read_text().strip()
                if text.isdigit():
                    return int(text)
            return None

        return wait_until(pid, timeout, 0.05, what=f"job {job.id} to start R")

    def worker_of(self, job: Job) -> WorkerProcess:
        worker_id = self.get(job).worker_id or ""
        assert worker_id.startswith("rq:"), worker_id
        return self.workers[worker_id[3:]]

    def redis_client(self) -> Redis:
        return self.redis.client(self.redis_db)

    def worker_registered(self, name: str) -> bool:
        return bool(self.redis_client().exists(f"rq:worker:{name}"))

    def start_worker(self, worker: WorkerProcess) -> None:
        worker.start()
        wait_until(lambda: self._ready(worker), WORKER_READY_S, 0.2, what=f"worker {worker.name} to start")

    def ensure_workers(self) -> None:
        """Restart any worker a test killed, and wait until every one is listening."""
        for worker in self.workers.values():
            if not worker.alive():
                worker.kill()
                self.start_worker(worker)

    def _ready(self, worker: WorkerProcess) -> bool:
        if not worker.alive():
            pytest.fail(f"worker {worker.name} exited with {worker.process.returncode}:\n{worker.log_tail()}")
        try:
            record = self.redis_client().hgetall(f"rq:worker:{worker.name}")
        except Exception:
            return False
        return bool(record) and record.get(b"pid") == str(worker.pid).encode() and b"death" not in record

    def worker_logs(self) -> str:
        return "\n".join(f"--- worker {w.name}:\n{w.log_tail(15)}" for w in self.workers.values())


OWNER = "integration-tests"


def worker_environment(settings: Settings, redis: RedisServer, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX) or k == "PLOTFORGE_R_LIBS"}
    env.update({
        "PLOTFORGE_DATABASE_URL": settings.database_url,
        "PLOTFORGE_DATA_DIR": str(settings.data_dir),
        "PLOTFORGE_REDIS_PASSWORD": redis.password,  # never on the command line (ps shows that)
        "PLOTFORGE_PLUGIN_DIRS": os.pathsep.join(str(p) for p in settings.plugin_dirs),
        "PLOTFORGE_TRUSTED_PLUGIN_DIRS": os.pathsep.join(str(p) for p in settings.trusted_plugin_dirs),
        "PYTHONPATH": str(REPO),  # so that a module of the tests *could* be imported (it must not be)
        **{ENV_PREFIX + key.upper(): str(value) for key, value in LIMITS.items()},
        **extra,
    })
    return env


@contextlib.contextmanager
def rq_stack_on(folder: Path, database_url: str, redis: RedisServer, redis_db: int,
                worker_names: list[str], worker_env: dict[str, str] | None = None) -> Iterator[RQStack]:
    """Settings, migrated database, job service with a reconciling RQ backend, started workers
    (with ``worker_env`` added to their environment)."""
    plugin_dirs = [JOB_PLUGINS, INTEGRATION_PLUGINS]
    settings = load_settings(
        data_dir=folder / "var", database_url=database_url, redis_url=redis.url(redis_db),
        redis_password=redis.password, plugin_dirs=plugin_dirs,
        trusted_plugin_dirs=[BUNDLED_PLUGINS, *plugin_dirs], max_queued_per_user=100, **LIMITS,
    )
    init_database(settings)
    redis.client(redis_db).flushdb()
    backend = RQBackend(settings, reconcile_interval_s=1.0)
    stack = RQStack(settings, JobService(settings, Catalogue.load(plugin_roots(plugin_dirs)), backend),
                    backend, redis, redis_db)
    env = worker_environment(settings, redis, {IMPORT_MARKER_VARIABLE: str(folder / "imported"), **(worker_env or {})})
    for name in worker_names:
        stack.workers[name] = WorkerProcess(
            name, [PLOTFORGE, "worker", "--redis-url", redis.url(redis_db), "--name", name], env,
            folder / f"worker-{name}.log",
        )
    try:
        for worker in stack.workers.values():
            worker.start()  # both warm up at once
        for worker in stack.workers.values():
            wait_until(lambda w=worker: stack._ready(w), WORKER_READY_S, 0.2, what=f"worker {worker.name}")
        backend.start()
        yield stack
    finally:
        backend.stop()
        for worker in stack.workers.values():
            worker.stop()
        dispose_engines(database_url)


@pytest.fixture(scope="session")
def rq_stack_session(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer,
                     r_library: Path, mpl_config_dir: Path) -> Iterator[RQStack]:
    folder = tmp_path_factory.mktemp("rq-sqlite")
    with rq_stack_on(folder, f"sqlite:///{folder / 'plotforge.db'}", redis_server, 0, ["it-w1", "it-w2"]) as stack:
        yield stack


@pytest.fixture
def rq_stack(rq_stack_session: RQStack) -> RQStack:
    """The shared stack, with both workers running (a test before may have killed one)."""
    rq_stack_session.ensure_workers()
    return rq_stack_session
