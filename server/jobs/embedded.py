"""The embedded backend: a bounded pool of local worker processes fed from the database.

Nothing to install beyond the server itself. Workers are separate processes (started with
'spawn', so none inherits the web server's threads or connections): a plot never stalls the
web process, and a crash in one run takes down at most one worker, which is replaced.

Each worker loops: take the oldest queued job (skipping owners at their running cap), claim
it atomically, run it, repeat; when idle it waits for a nudge from `enqueue` or polls every
half second, so a job submitted by another process (a second web tier) is found too.

Worker ids read ``embedded:<host>:<pid of the pool's process>:<pool token>:<slot>.<generation>``,
which lets a starting pool tell the jobs of a dead pool on this host from those of a live one.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from multiprocessing.synchronize import Event
from typing import Any

from plugin_sdk.runtime.process import is_running
from server.db.engine import session_factory
from server.db.models import Job
from server.db.types import utc_now
from server.jobs.dispatch import next_queued_job_id
from server.jobs.execute import execute_job, make_executor
from server.jobs.recovery import recover_lost_jobs
from server.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "embedded"
IDLE_POLL_S = 0.5
MONITOR_INTERVAL_S = 1.0
SWEEP_INTERVAL_S = 30.0
STALE_HEARTBEAT = timedelta(seconds=60)  # workers beat every 5 s while a job runs
STOP_TIMEOUT_S = 15.0
ERROR_BACKOFF_S = 2.0

_live_pools: set[str] = set()  # pools running in this process


class EmbeddedBackend:
    name = "embedded"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = socket.gethostname()
        self.pool_id = f"{PREFIX}:{self.host}:{os.getpid()}:{secrets.token_hex(4)}"
        self._context = multiprocessing.get_context("spawn")
        self._stop: Event | None = None
        self._nudge: Event | None = None
        self._workers: dict[int, tuple[str, Any]] = {}  # slot -> (worker id, process)
        self._generation = 0
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None

    # -- Backend -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._monitor is not None:
            return
        self._stop, self._nudge = self._context.Event(), self._context.Event()
        self._stopping.clear()
        _live_pools.add(self.pool_id)
        self._recover(self._lost_on_this_host)
        for slot in range(self.settings.workers):
            self._start_worker(slot)
        self._monitor = threading.Thread(target=self._watch, name="plotforge-pool-monitor", daemon=True)
        self._monitor.start()

    def stop(self) -> None:
        """Stop every worker; a job they were running goes back to the queue."""
        if self._monitor is None or self._stop is None:
            return
        self._stopping.set()
        self._stop.set()
        self._monitor.join()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for _worker_id, process in self._workers.values():
            process.join(max(0.0, deadline - time.monotonic()))
        for worker_id, process in self._workers.values():
            if process.is_alive():
                log.warning("worker %s did not stop in time; killing it", worker_id)
                process.kill()
                process.join()
                self._recover(lambda job, wid=worker_id: job.worker_id == wid)
        self._workers.clear()
        _live_pools.discard(self.pool_id)
        self._monitor = None
        # Dropping the events frees their semaphores now, not at a shutdown that may be a signal.
        self._stop = self._nudge = None

    def enqueue(self, job_id: str) -> None:
        if self._nudge is not None:
            self._nudge.set()

    def cancel(self, job_id: str) -> None:
        """Nothing to do: the worker running the job reads its cancel flag from the database."""

    # -- the pool ------------------------------------------------------------------------------

    @property
    def worker_pids(self) -> list[int]:
        return [process.pid for _, process in self._workers.values() if process.pid is not None]

    def _start_worker(self, slot: int) -> None:
        self._generation += 1
        worker_id = f"{self.pool_id}:{slot}.{self._generation}"
        process = self._context.Process(
            target=worker_main,
            args=(self.settings, worker_id, self._stop, self._nudge, os.getpid()),
            name=f"plotforge-worker-{slot}",
            daemon=True,
        )
        process.start()
        self._workers[slot] = (worker_id, process)

    def _watch(self) -> None:
        """Replace a worker that died (and recover its job); now and then sweep for dead pools."""
        next_sweep = time.monotonic() + SWEEP_INTERVAL_S
        while not self._stopping.wait(MONITOR_INTERVAL_S):
            try:
                for slot, (worker_id, process) in list(self._workers.items()):
                    if not process.is_alive() and not self._stopping.is_set():
                        log.warning("worker %s stopped (exit code %s); starting another", worker_id, process.exitcode)
                        self._recover(lambda job, wid=worker_id: job.worker_id == wid)
                        self._start_worker(slot)
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + SWEEP_INTERVAL_S
                    self._recover(self._lost_on_this_host)
            except Exception:  # the database may be briefly unreachable; try again next round
                log.exception("the worker pool monitor failed; retrying")

    def _recover(self, is_lost: Callable[[Job], bool]) -> None:
        with session_factory(self.settings.database_url)() as session:
            for job_id, state in recover_lost_jobs(session, is_lost).items():
                log.warning("job %s lost its worker; now %s", job_id, state)
        if self._nudge is not None:
            self._nudge.set()

    def _lost_on_this_host(self, job: Job) -> bool:
        """A running job of an embedded pool on this host that is no longer alive."""
        pool = pool_of(job.worker_id)
        if pool is None or pool["host"] != self.host or pool["id"] == self.pool_id:
            return False
        if pool["pid"] == os.getpid():
            return pool["id"] not in _live_pools
        if not is_running(pool["pid"]):
            return True
        return job.heartbeat_at is None or utc_now() - job.heartbeat_at > STALE_HEARTBEAT


def pool_of(worker_id: str | None) -> dict[str, Any] | None:
    """The pool an embedded worker id belongs to: {"id", "host", "pid"}; None for other workers."""
    parts = (worker_id or "").split(":")
    if len(parts) != 5 or parts[0] != PREFIX or not parts[2].isdigit():
        return None
    return {"id": ":".join(parts[:4]), "host": parts[1], "pid": int(parts[2])}


# -- inside a worker process ----------------------------------------------------------------


def worker_main(settings: Settings, worker_id: str, stop: Event, nudge: Event, parent_pid: int) -> None:
    """A worker's life: run queued jobs until told to stop or orphaned."""
    logging.basicConfig(level=settings.log_level.upper() if settings.log_level != "trace" else "DEBUG",
                        format=f"%(asctime)s %(levelname)s [{worker_id.rsplit(':', 1)[-1]}] %(name)s: %(message)s")
    terminated = threading.Event()
    # Ctrl-C reaches the whole process group: the pool, not the terminal, stops workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: terminated.set())

    def stop_requested() -> bool:
        return stop.is_set() or terminated.is_set() or os.getppid() != parent_pid

    executor = make_executor(settings)
    sessions = session_factory(settings.database_url)
    while not stop_requested():
        try:
            with sessions() as session:
                job_id = next_queued_job_id(session, settings.max_running_per_user)
            if job_id is None:
                executor.prepare_idle()  # a spare for the next R plot, made with idle CPU
                nudge.wait(IDLE_POLL_S)
                nudge.clear()
                continue
            execute_job(job_id, settings, executor=executor, worker_id=worker_id, stop_requested=stop_requested)
        except Exception:
            log.exception("worker %s: an error outside any job; carrying on", worker_id)
            with contextlib.suppress(Exception):
                stop.wait(ERROR_BACKOFF_S)
