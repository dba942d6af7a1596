"""`plotforge worker`: an RQ worker that runs PlotForge jobs, and only PlotForge jobs.

    worker process (warm: R with the preload set, pandas, matplotlib; started once)
      └─ RQ work horse, forked per job: run_job(job_id) -> execute_job
           └─ the job's child, forked from the horse's warm R (its own session, its limits)

- **One entry point.** RQ imports whatever function a job names, even with the JSON
  serializer. `PlotForgeWorker` reads the job's function name as plain data and refuses,
  before anything is imported or forked, every job that is not exactly
  ``run_job("<its own id>")`` with no callbacks and no webhooks.
- **Warm once.** The worker process starts R and Python's plotting stack before its work
  loop, so each horse, and each job child forked from it, starts with them loaded.
- **Nothing left behind.** The worker process is a child subreaper: a job child orphaned by
  a killed horse becomes its child, and is killed with its whole session. A horse whose
  worker died stops its job and puts it back in the queue (execute_job's stop_requested).
- **Found fast when killed.** A short worker TTL and a 5 s monitoring interval: RQ forgets a
  SIGKILLed worker within about a minute, and the reconciler re-queues its job.
- **Redis may restart.** When the connection is lost the worker waits for the job it is
  running, then connects again, keeping its warm parent.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import redis.exceptions
from rq.job import Job as RQJob
from rq.queue import Queue
from rq.serializers import JSONSerializer
from rq.worker import Worker, WorkerStatus
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.runtime.executors import Executor
from plugin_sdk.runtime.forkserver import become_subreaper
from plugin_sdk.runtime.process import children_of, is_running, kill_session
from server.db.engine import dispose_engines, session_factory
from server.db.models import Job
from server.jobs.execute import execute_job, make_executor
from server.jobs.reconciler import RQ_WORKER_PREFIX
from server.jobs.recovery import recover_job
from server.jobs.rq_backend import (
    JOB_FUNCTION,
    QUEUE_NAME,
    enqueue_job,
    job_queue,
    redis_connection,
    safe_redis_url,
)
from server.jobs.states import JobState
from server.settings import Settings

log = logging.getLogger(__name__)

WORKER_TTL_S = 60  # RQ forgets a worker that stopped beating this long (plus its 60 s grace)
JOB_MONITORING_INTERVAL_S = 5
MAINTENANCE_INTERVAL_S = 10
RECONNECT_BACKOFF_MAX_S = 30.0
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # server.jobs.service makes ids with secrets.token_urlsafe
WORKER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,200}")  # it becomes "rq:<name>" in jobs.worker_id (255 chars)


# -- the one function workers run ---------------------------------------------------------------


@dataclass(frozen=True)
class _WorkerContext:
    """What a work horse inherits from its worker process (set once, before the work loop)."""

    settings: Settings
    executor: Executor
    catalogue: Catalogue
    worker_id: str
    worker_pid: int


_context: _WorkerContext | None = None


def run_job(job_id: str) -> None:
    """Run PlotForge job ``job_id``: the only function a PlotForge worker executes.

    Called by RQ in the work horse. If the worker process dies meanwhile, the horse stops
    the job's child and puts the job back in the queue (the reconciler hands it to RQ again).
    """
    context = _context
    if context is None:
        raise RuntimeError("run_job runs inside `plotforge worker` only")
    execute_job(job_id, context.settings, executor=context.executor, worker_id=context.worker_id,
                catalogue=context.catalogue, stop_requested=lambda: os.getppid() != context.worker_pid)


def refusal(job: RQJob) -> str | None:
    """Why this worker will not run ``job``, or None. Reads the job as data; imports nothing."""
    try:
        func_name, instance, args, kwargs = job.func_name, job.instance, job.args, job.kwargs
    except Exception as exc:  # not JSON, or not RQ's (function, instance, args, kwargs)
        return f"its payload cannot be read as JSON job data ({type(exc).__name__})"
    if func_name != JOB_FUNCTION:
        return f"only {JOB_FUNCTION} runs here, not {str(func_name)[:200]!r}"
    if instance is not None or kwargs or not isinstance(args, list | tuple) or len(args) != 1:
        return "it does not call run_job with exactly one job id"
    if not isinstance(args[0], str) or not JOB_ID.fullmatch(args[0]) or args[0] != job.id:
        return "its argument is not its own PlotForge job id"
    callbacks = (job._success_callback_name, job._failure_callback_name, job._stopped_callback_name)
    if any(callbacks) or job.webhooks:
        return "it names callbacks or webhooks, which PlotForge never sets"
    return None


# -- the worker ---------------------------------------------------------------------------------


class PlotForgeWorker(Worker):
    """RQ's forking worker with PlotForge's rules (see the module docstring)."""

    log_job_description = False  # descriptions are free text from Redis: log ids only

    def __init__(self, *args: Any, settings: Settings | None = None, plotforge_worker_id: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings  # None only in the copies RQ makes to describe workers (Worker.all)
        self.plotforge_worker_id = plotforge_worker_id
        self.stop_asked = False
        self._to_enqueue: list[str] = []

    # Refuse foreign jobs in the worker process, before any fork or import.
    def execute_job(self, job: RQJob, queue: Queue) -> None:
        reason = refusal(job)
        if reason is None:
            super().execute_job(job, queue)
            return
        self.log.error("Worker %s: refused job %s: %s", self.name, job.id, reason)
        # Nothing the job names is called on the way out either: no callbacks, webhooks or retries.
        job.webhooks = []
        job._success_callback_name = job._failure_callback_name = job._stopped_callback_name = None
        job.retries_left = None
        self.connection.lrem(queue.intermediate_queue_key, 1, job.id)
        self.handle_job_failure(job, queue, exc_string=f"Refused by the PlotForge worker: {reason}")
        self.set_state(WorkerStatus.IDLE)

    def monitor_work_horse(self, job: RQJob, queue: Queue, execution: Any) -> None:
        super().monitor_work_horse(job, queue, execution)
        # The horse is gone: reap what its job left to this subreaper (the processes a plot
        # started, orphaned when the supervisor killed it, end up here as zombies).
        clean_up_orphans()
        # A job recovered from a killed horse goes back on the queue once RQ has filed the failure.
        for job_id in self._to_enqueue:
            enqueue_job(queue, job_id, self._settings())
        self._to_enqueue.clear()

    def handle_work_horse_killed(self, job: RQJob, retpid: Any, ret_val: Any, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        clean_up_orphans()
        if self.recover_own_job(job.id) is JobState.QUEUED:
            self._to_enqueue.append(job.id)

    def recover_own_job(self, job_id: str) -> JobState | None:
        """Re-queue (or fail) ``job_id`` if its row still says this worker runs it."""
        try:
            with _database_session(self._settings()) as session:
                row = session.get(Job, job_id)
                if row is None or row.state != JobState.RUNNING.value or row.worker_id != self.plotforge_worker_id:
                    return None
                state = recover_job(session, row)
        except Exception:
            log.exception("could not recover job %s after its work horse died; the reconciler will", job_id)
            return None
        if state is not None:
            log.warning("job %s: its work horse died; now %s", job_id, state)
        return state

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def request_force_stop(self, signum: int, frame: Any) -> None:
        self.stop_asked = True
        super().request_force_stop(signum, frame)

    def teardown(self) -> None:
        if not self._is_horse and not self.horse_running():
            clean_up_orphans()
            self.recover_held_jobs()
        try:
            super().teardown()
        except redis.exceptions.RedisError as exc:
            log.warning("could not tell Redis this worker stopped (%s)", exc)

    # -- helpers ---------------------------------------------------------------------------------

    def horse_running(self) -> bool:
        if not self.horse_pid:
            return False
        try:
            pid, _ = os.waitpid(self.horse_pid, os.WNOHANG)
        except ChildProcessError:
            return False
        return pid == 0

    def recover_held_jobs(self) -> None:
        """Jobs whose rows still name this worker although no horse runs them (a cold shutdown)."""
        try:
            with _database_session(self._settings()) as session:
                held = list(session.scalars(select(Job.id).where(Job.state == JobState.RUNNING.value,
                                                                Job.worker_id == self.plotforge_worker_id)))
        except Exception:
            log.exception("could not look for this worker's unfinished jobs; the reconciler will")
            return
        for job_id in held:
            if self.recover_own_job(job_id) is JobState.QUEUED:
                with contextlib.suppress(redis.exceptions.RedisError):
                    enqueue_job(job_queue(self.connection), job_id, self._settings())

    def _settings(self) -> Settings:
        if self.settings is None:
            raise RuntimeError("this worker object only describes a worker; it runs nothing")
        return self.settings


# -- orphans --------------------------------------------------------------------------------------


def clean_up_orphans() -> list[int]:
    """Kill the job sessions now parented to this process and reap every exited child.

    Call only when no horse of this process is running: job children are session leaders
    (they call setsid), horses are not, so a horse is never touched, only reaped once done.
    """
    killed = []
    for pid in children_of(os.getpid()):
        try:
            leads_session = os.getsid(pid) == pid
        except ProcessLookupError:
            continue
        if leads_session:
            kill_session(pid)
            killed.append(pid)
    if killed:
        log.warning("killed %d job process(es) left behind by a dead work horse: %s", len(killed), killed)
    deadline = time.monotonic() + 5.0
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if not any(is_running(p) for p in killed) or time.monotonic() > deadline:
                break
            time.sleep(0.01)
    return killed


# -- the worker's life ----------------------------------------------------------------------------


def default_worker_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


def describe(settings: Settings, name: str, executor: Executor) -> str:
    """The start-up line: backend, Redis (no password), warm or not, sandbox or not."""
    from plugin_sdk.runtime.policy import ExecutionPolicy
    from plugin_sdk.runtime.warm import WarmExecutor

    trusted = executor.trusted if isinstance(executor, ExecutionPolicy) else executor
    warm = ("warm (R and Python loaded once, a fork per job)" if isinstance(trusted, WarmExecutor)
            else "cold (a fresh Rscript or Python per job)")
    sandbox = executor.describe() if isinstance(executor, ExecutionPolicy) else "no sandbox policy"
    password = ", password set" if settings.redis_password else ""
    return (f"PlotForge worker {name}: RQ backend, Redis {safe_redis_url(settings.redis_url or '')}{password}, "
            f"queue '{QUEUE_NAME}'; plugins run {warm}; {sandbox}; database {_safe_database_url(settings)}; "
            f"data in {settings.data_dir}")


def run_worker(settings: Settings, *, name: str | None = None, burst: bool = False) -> int:
    """Warm up, then take jobs from Redis until stopped (or, with ``burst``, until the queue is empty).

    Returns the process's exit code.
    """
    global _context
    _configure_logging(settings)
    name = name or default_worker_name()
    if not WORKER_NAME.fullmatch(name):
        log.error("the worker name %r must be 1-200 letters, digits, '.', '_', '-' or '@'", name)
        return 2
    try:
        with _database_session(settings) as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        log.error("cannot reach the database %s: %s", _safe_database_url(settings), exc)
        return 2
    try:
        with _database_session(settings) as session:
            session.execute(select(Job.id).limit(1))
    except Exception:
        # Workers never migrate: several starting at once would race; the web tier does it.
        log.error("the database %s has no PlotForge tables yet: start `plotforge serve` once with it first",
                  _safe_database_url(settings))
        return 2
    if not become_subreaper():
        log.warning("cannot become a child subreaper: a job whose work horse is killed may outlive it")
    executor = make_executor(settings)
    catalogue = Catalogue.load(plugin_roots(settings.plugin_dirs))
    _context = _WorkerContext(settings, executor, catalogue, RQ_WORKER_PREFIX + name, os.getpid())
    # Everything loaded so far lives as long as the worker: keep Python's collector off it, so a
    # horse's collections do not write to (and so copy) the pages it shares with this process.
    gc.collect()
    gc.freeze()
    log.info(describe(settings, name, executor))

    backoff = 1.0
    while True:
        worker: PlotForgeWorker | None = None
        try:
            worker = _make_worker(settings, name)
            worker.work(burst=burst, logging_level=None)
            if burst or worker.stop_asked:
                return 0
            problem = "the work loop stopped (Redis went away?)"
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            if worker is not None and worker.stop_asked:
                return 0
            problem = f"Redis is not reachable ({exc})"
        except ValueError as exc:  # "There exists an active worker named ... already"
            log.error("%s", exc)
            return 2
        if burst:
            log.error("%s", problem)
            return 1
        if worker is not None:
            _finish_interrupted_job(worker)
        log.warning("%s; connecting again in %g s", problem, backoff)
        if _sleep_unless_stopped(backoff):
            return 0
        backoff = min(backoff * 2, RECONNECT_BACKOFF_MAX_S)


def _make_worker(settings: Settings, name: str) -> PlotForgeWorker:
    connection = redis_connection(settings)
    _forget_dead_namesake(connection, name)
    worker = PlotForgeWorker(
        [QUEUE_NAME], name=name, connection=connection, serializer=JSONSerializer,
        worker_ttl=WORKER_TTL_S, job_monitoring_interval=JOB_MONITORING_INTERVAL_S,
        maintenance_interval=MAINTENANCE_INTERVAL_S, default_result_ttl=3600,
        settings=settings, plotforge_worker_id=RQ_WORKER_PREFIX + name,
    )
    return worker


def _forget_dead_namesake(connection: Any, name: str) -> None:
    """Remove the Redis record of an earlier worker of this name that is certainly gone.

    RQ refuses to start a worker whose name a live record holds, and a SIGKILLed worker's
    record lives on for a minute or two. The record is ours to replace when it is this
    process's own (from before Redis went away) or a process of this host that no longer exists.
    """
    key = Worker.redis_worker_namespace_prefix + name
    record = {k.decode(): v.decode(errors="replace") for k, v in connection.hgetall(key).items()}
    if not record or "death" in record or not record.get("pid", "").isdigit():
        return
    pid = int(record["pid"])
    if pid == os.getpid() or (record.get("hostname") == socket.gethostname() and not _process_exists(pid)):
        log.warning("removing the record of an earlier worker named %s (process %d is gone)", name, pid)
        connection.delete(key)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return is_running(pid)


def _finish_interrupted_job(worker: PlotForgeWorker) -> None:
    """After the work loop broke off (Redis lost mid-job): let the horse finish its job first."""
    if worker.horse_pid and worker.horse_running():
        log.warning("waiting for the job in work horse %d to finish before connecting again", worker.horse_pid)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker.horse_pid, 0)
    clean_up_orphans()
    worker.recover_held_jobs()


def _sleep_unless_stopped(seconds: float) -> bool:
    """Sleep; True if SIGTERM or SIGINT arrived meanwhile."""
    stopped = []

    def stop(*_: Any) -> None:
        stopped.append(True)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        deadline = time.monotonic() + seconds
        while not stopped and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return bool(stopped)


@contextlib.contextmanager
def _database_session(settings: Settings) -> Iterator[Session]:
    """A session for the worker process itself, its pooled connections closed afterwards.

    Work horses are forked from this process: they must not inherit open database connections.
    """
    try:
        with session_factory(settings.database_url)() as session:
            yield session
    finally:
        dispose_engines(settings.database_url)


def _safe_database_url(settings: Settings) -> str:
    try:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def _configure_logging(settings: Settings) -> None:
    level = "DEBUG" if settings.log_level == "trace" else settings.log_level.upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # RQ then logs through the root handler instead of adding its own (see rq.logutils).
    logging.getLogger("rq.worker").setLevel(level)
