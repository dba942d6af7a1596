"""`plotforge worker`: an RQ worker that runs PlotForge jobs, and only PlotForge jobs.

    worker process (warm: R with the preload set, pandas, matplotlib; started once)
      ├─ runs run_job(job_id) -> execute_job itself, one job at a time (RQ's SimpleWorker)
      ├─ fork server (forkserver.py): forks light R jobs, and keeps a spare ready
      └─ the job's child (its own session, its limits), adopted or forked directly

- **One entry point.** RQ imports whatever function a job names, even with the JSON
  serializer. `PlotForgeWorker` reads the job's function name as plain data and refuses,
  before anything is imported or run, every job that is not exactly
  ``run_job("<its own id>")`` with no callbacks and no webhooks.
- **Fair share.** A job whose owner already runs PLOTFORGE_MAX_RUNNING_PER_USER jobs goes
  back to the end of the queue, as the embedded pool would skip it (dispatch.py).
- **No work horse.** RQ's forking worker forks a horse per job, and the job's child would be
  forked again from the horse: a second copy of a large process, about 60 ms a job, and a
  horse cannot use the fork server (its jobs are adopted by the worker). The plot already
  runs in a child process with its own limits, so the worker runs `run_job` itself.
- **Warm once.** The worker process starts R and Python's plotting stack before its work
  loop; each job child is forked from it, or from its fork server.
- **Nothing left behind.** The worker process is a child subreaper: whatever a job's
  processes leave is killed with their session and reaped after each job.
- **Found fast when killed.** A short worker TTL, heartbeats every 5 s while a job runs: RQ
  forgets a SIGKILLed worker within about a minute, and the reconciler re-queues its job;
  the job's child dies with the worker.
- **Stopping.** SIGTERM lets the running job finish; a second one stops it at once and puts
  it back in the queue.
- **Redis may restart.** When the connection is lost the job goes on (it needs only the
  database); the worker then connects again, keeping its warm parent.
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
from rq.worker import SimpleWorker, Worker, WorkerStatus
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.runtime.executors import Executor
from plugin_sdk.runtime.forkserver import become_subreaper
from plugin_sdk.runtime.process import children_of, is_running, kill_session
from server.db.engine import dispose_engines, session_factory
from server.db.models import Job
from server.jobs.dispatch import owner_at_running_cap
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
PUBSUB_WAIT_S = 1.0  # how long RQ's command listener waits for a message; also how long it takes to stop
DEFER_PAUSE_S = 0.5  # before putting back, again, a job whose owner is at the running cap
DEFERRED_MEMORY_S = 30.0
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # server.jobs.service makes ids with secrets.token_urlsafe
WORKER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,200}")  # it becomes "rq:<name>" in jobs.worker_id (255 chars)


# -- the one function workers run ---------------------------------------------------------------


@dataclass(frozen=True)
class _WorkerContext:
    """What `run_job` needs from its worker process (set once, before the work loop)."""

    settings: Settings
    executor: Executor
    catalogue: Catalogue
    worker_id: str


_context: _WorkerContext | None = None
_running_in: PlotForgeWorker | None = None  # the worker whose execute_job is on the stack


def run_job(job_id: str) -> None:
    """Run PlotForge job ``job_id``: the only function a PlotForge worker executes.

    Called by RQ in the worker process. A cold shutdown stops the job's child and puts the
    job back in the queue; while it runs, the worker's heartbeats go on.
    """
    context = _context
    if context is None:
        raise RuntimeError("run_job runs inside `plotforge worker` only")
    worker = _running_in
    execute_job(job_id, context.settings, executor=context.executor, worker_id=context.worker_id,
                catalogue=context.catalogue, stop_requested=worker.job_should_stop if worker else None)


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


class PlotForgeWorker(SimpleWorker):
    """RQ's in-process worker with PlotForge's rules (see the module docstring)."""

    log_job_description = False  # descriptions are free text from Redis: log ids only

    def __init__(self, *args: Any, settings: Settings | None = None, plotforge_worker_id: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings  # None only in the copies RQ makes to describe workers (Worker.all)
        self.plotforge_worker_id = plotforge_worker_id
        self.stop_asked = False
        self.cold_stop_asked = False
        self._beating: tuple[RQJob, Any] | None = None
        self._next_beat = 0.0
        self._deferred: dict[str, float] = {}  # job id -> when this worker last put it back

    # Refuse foreign jobs before anything is imported or run.
    def execute_job(self, job: RQJob, queue: Queue) -> None:
        global _running_in
        reason = refusal(job)
        if reason is not None:
            self.refuse(job, queue, reason)
            return
        if self.owner_at_cap(job.id):
            self.defer(job, queue)
            return
        execution = self.prepare_execution(job)
        self._beating, self._next_beat = (job, execution), time.monotonic() + JOB_MONITORING_INTERVAL_S
        _running_in = self
        try:
            self.perform_job(job, queue, execution)
        finally:
            _running_in, self._beating = None, None
            # Reap what the job's processes left to this subreaper.
            clean_up_orphans()
        if self.cold_stop_asked:
            self.hand_back(job.id, queue)
        self.set_state(WorkerStatus.IDLE)

    def hand_back(self, job_id: str, queue: Queue) -> None:
        """A job a cold shutdown put back in the database's queue goes back on RQ's too."""
        try:
            with _database_session(self._settings()) as session:
                row = session.get(Job, job_id)
                put_back = row is not None and row.state == JobState.QUEUED.value
            if put_back:
                enqueue_job(queue, job_id, self._settings())
        except Exception:
            log.exception("could not hand job %s back to the queue; the reconciler will", job_id)

    def owner_at_cap(self, job_id: str) -> bool:
        try:
            # The pooled session execute_job uses next: a connection made and closed here would
            # cost a reconnect on every job.
            with session_factory(self._settings().database_url)() as session:
                return owner_at_running_cap(session, job_id, self._settings().max_running_per_user)
        except Exception:  # the database is unreachable: let execute_job meet (and log) that
            log.exception("could not count the running jobs of job %s's owner", job_id)
            return False

    def defer(self, job: RQJob, queue: Queue) -> None:
        """The job's owner runs as many jobs as they may: back to the end of the queue it goes.

        Jobs of other owners behind it run first. When the queue holds only such jobs, the
        worker meets this one again within a round; it then waits a little before each put-back
        instead of spinning through the queue.
        """
        now = time.monotonic()
        self._deferred = {key: at for key, at in self._deferred.items() if now - at < DEFERRED_MEMORY_S}
        if job.id in self._deferred:
            time.sleep(DEFER_PAUSE_S)
        else:
            self.log.info("Worker %s: job %s waits: its owner is at the running cap", self.name, job.id)
        self._deferred[job.id] = time.monotonic()
        with self.connection.pipeline() as pipeline:
            pipeline.lrem(queue.intermediate_queue_key, 1, job.id)
            queue.push_job_id(job.id, pipeline=pipeline)
            pipeline.execute()
        self.set_state(WorkerStatus.IDLE)

    def refuse(self, job: RQJob, queue: Queue, reason: str) -> None:
        self.log.error("Worker %s: refused job %s: %s", self.name, job.id, reason)
        # Nothing the job names is called on the way out either: no callbacks, webhooks or retries.
        job.webhooks = []
        job._success_callback_name = job._failure_callback_name = job._stopped_callback_name = None
        job.retries_left = None
        self.connection.lrem(queue.intermediate_queue_key, 1, job.id)
        self.handle_job_failure(job, queue, exc_string=f"Refused by the PlotForge worker: {reason}")
        self.set_state(WorkerStatus.IDLE)

    def job_should_stop(self) -> bool:
        """Asked by the job's supervisor every 50 ms: keep the heartbeats going, stop on a cold shutdown."""
        if self._beating is not None and time.monotonic() >= self._next_beat:
            self._next_beat = time.monotonic() + JOB_MONITORING_INTERVAL_S
            try:
                self.maintain_heartbeats(*self._beating)
            except redis.exceptions.RedisError as exc:  # the job needs only the database; go on
                log.warning("could not send a heartbeat to Redis (%s); the job goes on", exc)
        return self.cold_stop_asked

    def subscribe(self) -> None:
        """RQ's, with a short wait in the thread that listens for commands.

        RQ's listener waits up to 60 s for a message, and since redis-py 8.2 stopping it waits
        for the listener: a worker told to stop hung for up to a minute before it exited.
        """
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=PUBSUB_WAIT_S, daemon=True, exception_handler=self._pubsub_exception_handler
        )

    def get_heartbeat_ttl(self, job: RQJob, working_time: float = 0.0) -> int:
        # SimpleWorker's is the job's whole timeout: a worker killed mid-job would then be
        # forgotten only after minutes. This worker beats every few seconds instead.
        return Worker.get_heartbeat_ttl(self, job, working_time)

    def recover_own_job(self, job_id: str) -> JobState | None:
        """Re-queue (or fail) ``job_id`` if its row still says this worker runs it."""
        try:
            with _database_session(self._settings()) as session:
                row = session.get(Job, job_id)
                if row is None or row.state != JobState.RUNNING.value or row.worker_id != self.plotforge_worker_id:
                    return None
                state = recover_job(session, row)
        except Exception:
            log.exception("could not recover job %s; the reconciler will", job_id)
            return None
        if state is not None:
            log.warning("job %s: this worker stopped while it ran; now %s", job_id, state)
        return state

    def request_stop(self, signum: Any, frame: Any) -> None:
        self.stop_asked = True
        super().request_stop(signum, frame)

    def request_force_stop(self, signum: int, frame: Any) -> None:
        self.stop_asked = True
        if self._beating is not None:
            # A job runs in this very process: stop its child (the supervisor asks job_should_stop)
            # and put the job back in the queue; the work loop then ends, as a warm stop would.
            self.log.warning("Worker %s: cold shut down: stopping the running job", self.name)
            self.cold_stop_asked = True
            return
        super().request_force_stop(signum, frame)

    def teardown(self) -> None:
        clean_up_orphans()
        self.recover_held_jobs()
        try:
            super().teardown()
        except redis.exceptions.RedisError as exc:
            log.warning("could not tell Redis this worker stopped (%s)", exc)

    # -- helpers ---------------------------------------------------------------------------------

    def recover_held_jobs(self) -> None:
        """Jobs whose rows still name this worker although it runs none (the work loop broke off)."""
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

    Call only between jobs: job children are session leaders (they call setsid); the fork
    server and a waiting spare are not, so they are never touched.
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
        log.warning("killed %d job process(es) left behind by an interrupted job: %s", len(killed), killed)
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
        log.warning("cannot become a child subreaper: processes a job leaves behind may outlive it")
    executor = make_executor(settings)
    catalogue = Catalogue.load(plugin_roots(settings.plugin_dirs))
    _context = _WorkerContext(settings, executor, catalogue, RQ_WORKER_PREFIX + name)
    # Everything loaded so far lives as long as the worker: keep Python's collector off it, so a
    # job child's collections do not write to (and so copy) the pages it shares with this process.
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
    if pid == os.getpid() or (record.get("hostname") == socket.gethostname() and not is_running(pid)):
        log.warning("removing the record of an earlier worker named %s (process %d is gone)", name, pid)
        connection.delete(key)


def _finish_interrupted_job(worker: PlotForgeWorker) -> None:
    """After the work loop broke off (Redis lost): nothing of a job may stay behind."""
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

    Job children are forked from this process: they must not inherit open database connections.
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
