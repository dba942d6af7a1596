"""The RQ backend: job ids travel through Redis to `plotforge worker` processes on any machine.

Redis carries only "run job X": one call of `server.jobs.rq_worker.run_job` with the job id
as its one argument, serialised as JSON, under RQ's job id = the PlotForge job id (so RQ's
queue and registries can be matched to database rows). Workers accept that one function and
nothing else (see rq_worker.py). The database stays the source of truth: when Redis loses
its queue, or a worker dies, the reconciler rebuilds what is missing from the job rows.
"""

from __future__ import annotations

import logging
from typing import Any

from redis import Redis
from rq import Queue
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from server.jobs.reconciler import DEFAULT_INTERVAL_S, ReconcilerThread
from server.settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "plotforge"
JOB_FUNCTION = "server.jobs.rq_worker.run_job"  # the only function a PlotForge worker runs
# Our supervisor enforces the wall clock (R swallows RQ's alarm); RQ's own timeout is only a
# backstop for a worker stuck outside the plot (its alarm interrupts run_job), so it must never fire first.
TIMEOUT_MARGIN_S = 120
RESULT_TTL_S = 3600  # RQ's record of a finished run: for operators' dashboards, not for users
FAILURE_TTL_S = 7 * 24 * 3600
# Without a timeout redis-py can block for ever on a half-open connection.
SOCKET_TIMEOUT_S = 30
CONNECT_TIMEOUT_S = 5


def redis_connection(settings: Settings) -> Redis:
    """A client for settings.redis_url, with settings.redis_password when one is set."""
    if not settings.redis_url:
        raise ValueError("settings.redis_url is not set")
    options: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT_S, "socket_connect_timeout": CONNECT_TIMEOUT_S,
                               "health_check_interval": 30}
    if settings.redis_password:
        options["password"] = settings.redis_password
    return Redis.from_url(settings.redis_url, **options)


def safe_redis_url(url: str) -> str:
    """The URL without its password, for logs and start-up lines."""
    from redis.connection import parse_url

    try:
        parts = parse_url(url)
    except ValueError:
        return "(unparsable URL)"
    if "password" not in parts:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[-1]}"


def job_queue(connection: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection, serializer=JSONSerializer)


def enqueue_job(queue: Queue, job_id: str, settings: Settings) -> None:
    """Put "run job ``job_id``" on the queue (RQ's job id is the PlotForge job id)."""
    queue.enqueue_call(
        JOB_FUNCTION,
        args=[job_id],
        job_id=job_id,
        timeout=int(settings.job_wall_clock_s) + TIMEOUT_MARGIN_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        description=f"plotforge job {job_id}",
    )


class RQBackend:
    name = "rq"

    def __init__(self, settings: Settings, *, reconcile_interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self.settings = settings
        self.connection = redis_connection(settings)
        self.queue = job_queue(self.connection)
        self.reconcile_interval_s = reconcile_interval_s
        self._reconciler: ReconcilerThread | None = None

    # -- Backend -------------------------------------------------------------------------------

    def start(self) -> None:
        """Reconcile once now (what a previous run or a Redis restart left), then every interval."""
        if self._reconciler is not None:
            return
        self._reconciler = ReconcilerThread(self.settings, self, self.reconcile_interval_s)
        self._reconciler.start()

    def stop(self) -> None:
        """Stop the reconciler; the workers are separate processes and keep running."""
        if self._reconciler is not None:
            self._reconciler.stop()
            self._reconciler = None

    def enqueue(self, job_id: str) -> None:
        enqueue_job(self.queue, job_id, self.settings)

    def cancel(self, job_id: str) -> None:
        """Take a job off the queue if it is still there.

        A running job is stopped by its worker, which reads the row's cancel flag every half second.
        """
        job = RQJob.fetch_many([job_id], connection=self.connection, serializer=JSONSerializer)[0]
        if job is not None and job.get_status(refresh=False) in (JobStatus.QUEUED, JobStatus.DEFERRED):
            job.cancel()

    # -- for the reconciler ----------------------------------------------------------------------

    def waiting_or_started_ids(self) -> set[str]:
        """Job ids RQ holds as waiting (in the queue or being handed to a worker) or started.

        Read in one transaction: a job moving from the queue to a worker is seen in one place or
        the other, never in neither.
        """
        with self.connection.pipeline(transaction=True) as pipeline:
            pipeline.lrange(self.queue.key, 0, -1)
            pipeline.lrange(self.queue.intermediate_queue_key, 0, -1)
            pipeline.zrange(self.queue.started_job_registry.key, 0, -1)
            waiting, handed_over, started = pipeline.execute()
        return ({value.decode() for value in waiting} | {value.decode() for value in handed_over}
                | {_job_id_of_execution(value.decode()) for value in started})

    def started_ids(self) -> set[str]:
        """Job ids in RQ's StartedJobRegistry (entries read "<job id>:<execution id>")."""
        entries = self.connection.zrange(self.queue.started_job_registry.key, 0, -1)
        return {_job_id_of_execution(value.decode()) for value in entries}

    def worker_record(self, worker_name: str) -> dict[str, str] | None:
        """The worker's hash in Redis ({"pid", "hostname", ...}), or None once its heartbeat expired."""
        from rq.worker import Worker

        raw = self.connection.hgetall(Worker.redis_worker_namespace_prefix + worker_name)
        if not raw:
            return None
        return {key.decode(): value.decode(errors="replace") for key, value in raw.items()}


def _job_id_of_execution(entry: str) -> str:
    return entry.split(":", 1)[0]
