"""Run one queued job: the one function every backend's workers call.

    claim (queued -> running, atomically)  ->  run the plugin  ->  succeeded | failed | cancelled

A claim that fails means another worker has the job, or it was cancelled: return quietly.
While the plugin runs, its log lines and steps reach the job_logs table in small batches,
the job's heartbeat is kept fresh, and the cancel flag is read from the database. Whatever
goes wrong, the job never stays "running": an unexpected error fails it with a message.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plugin_sdk.catalogue import Catalogue, plugin_roots
from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.executors import Executor
from plugin_sdk.runtime.outcome import Reason, RunResult
from plugin_sdk.runtime.runner import run_resolved
from server.db.engine import session_factory
from server.db.models import Job, JobLog
from server.db.types import utc_now
from server.jobs.folders import BUNDLE_KIND, read_submission
from server.jobs.recovery import REQUEUED_LINE
from server.jobs.states import INTERNAL, JobState, transition
from server.settings import Settings

if TYPE_CHECKING:
    from plugin_sdk.runtime.policy import ExecutionPolicy

log = logging.getLogger(__name__)

CANCEL_POLL_S = 0.5  # the brief: a cancelled job stops within 2 s
LOG_FLUSH_S = 0.25
HEARTBEAT_S = 5.0
MAX_LINE_CHARS = 4000
MAX_LOG_LINES = 20_000  # beyond this a chatty plot's lines stay in log.txt only

INTERNAL_MESSAGE = ("Something went wrong on the server while running this job ({error}). Please run it again; "
                    "if it keeps failing, tell the server's operator.")


def make_executor(settings: Settings) -> ExecutionPolicy:
    """How a worker runs plugins: trusted ones forked from a warm R/Python parent (or a fresh
    interpreter when settings.warm is off), the others sandboxed by bubblewrap.

    Warming up can fail (rpy2 against an R it was not built for): the worker then runs
    trusted plugins in a fresh process and says so in its log.
    """
    from plugin_sdk.runtime.policy import ExecutionPolicy

    trusted: Executor | None = None
    if settings.warm:
        try:
            from plugin_sdk.runtime.warm import WarmExecutor

            trusted = WarmExecutor(spares=settings.spares)
        except Exception:
            log.exception("could not start a warm R/Python parent; running each job in a fresh process")
    return ExecutionPolicy.create(settings.trusted_plugin_dirs, trusted)


def execute_job(
    job_id: str,
    settings: Settings,
    *,
    executor: Executor | None = None,
    worker_id: str,
    catalogue: Catalogue | None = None,
    stop_requested: Callable[[], bool] | None = None,
) -> None:
    """Claim and run job ``job_id``; returns quietly if another worker has it.

    ``stop_requested`` lets a worker that is shutting down interrupt the run: the job goes
    back to the queue (its attempt not counted) instead of failing.
    """
    sessions = session_factory(settings.database_url)
    with sessions() as session:
        now = utc_now()
        claimed = transition(
            session, job_id, JobState.QUEUED, JobState.RUNNING,
            worker_id=worker_id, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1, step="",
        )
        if not claimed:
            return
        job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    recorder: _Recorder | None = None
    try:
        recorder = _Recorder(sessions, job_id, stop_requested)
        plugin = _plugin_for(job, settings, catalogue, recorder)
        if plugin is None:
            recorder.flush()
            _finish(sessions, job_id, JobState.FAILED, reason=Reason.PLUGIN_ERROR.value,
                    message=f"The plot '{job.plugin_key}' is no longer available on this server.")
            return
        resolved = read_submission(Path(job.job_dir), job.config)
        result = run_resolved(
            plugin, resolved, Path(job.job_dir), limits=settings.limits(), executor=executor,
            on_event=recorder.on_event, should_cancel=recorder.should_cancel, attempt=job.attempts,
            request=job.request,
        )
        recorder.flush()
        _record_result(sessions, job, result, recorder)
    except BaseException as exc:
        log.exception("job %s failed inside the server", job_id)
        try:
            if recorder is not None:
                recorder.add("log", f"Server error: {type(exc).__name__}")
                recorder.flush()
        finally:
            _finish(sessions, job_id, JobState.FAILED, reason=INTERNAL,
                    message=INTERNAL_MESSAGE.format(error=type(exc).__name__))
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: keep unwinding
            raise


def _record_result(sessions: sessionmaker[Session], job: Job, result: RunResult, recorder: _Recorder) -> None:
    if recorder.taken_back:
        log.warning("job %s was taken from this worker while it ran; its result is not recorded", job.id)
        return
    if result.reason is Reason.CANCELLED and recorder.stopping and not recorder.cancel_requested:
        recorder.add("log", REQUEUED_LINE)
        recorder.flush()
        with sessions() as session:
            transition(session, job.id, JobState.RUNNING, JobState.QUEUED, worker_id=None, heartbeat_at=None,
                       started_at=None, step="", attempts=Job.attempts - 1)
        return
    if result.ok:
        outputs = [o.to_dict() for o in result.outputs]
        if result.bundle is not None and result.bundle.is_file():
            outputs.append({"name": result.bundle.name, "kind": BUNDLE_KIND, "size": result.bundle.stat().st_size})
        _finish(sessions, job.id, JobState.SUCCEEDED, reason=None, message="", outputs=outputs)
        return
    if result.detail:
        for line in result.detail.splitlines()[-20:]:
            recorder.add("log", line)
        recorder.flush()
    state = JobState.CANCELLED if result.reason is Reason.CANCELLED else JobState.FAILED
    _finish(sessions, job.id, state, reason=result.reason.value, message=result.message,
            field_errors=result.field_errors)


def _finish(sessions: sessionmaker[Session], job_id: str, state: JobState, **fields: Any) -> None:
    with sessions() as session:
        if not transition(session, job_id, JobState.RUNNING, state, finished_at=utc_now(), heartbeat_at=None,
                          **fields):
            log.warning("job %s was no longer running when it ended (%s); left as the reconciler set it",
                        job_id, state)


# -- the plugin -----------------------------------------------------------------------------

_catalogues: dict[tuple[Path, ...], Catalogue] = {}


def _plugin_for(job: Job, settings: Settings, catalogue: Catalogue | None, recorder: _Recorder) -> Plugin | None:
    """The plugin as it is now; reads the folders again once if it is missing or changed."""
    if catalogue is None:
        roots = tuple(plugin_roots(settings.plugin_dirs))
        catalogue = _catalogues.get(roots)
        if catalogue is None:
            catalogue = _catalogues[roots] = Catalogue.load(list(roots))
    plugin = catalogue.get(job.plugin_key)
    if plugin is None or plugin.content_hash != job.plugin_hash:
        plugin = catalogue.reload().get(job.plugin_key)
    if plugin is not None and plugin.content_hash != job.plugin_hash:
        recorder.add("log", f"Note: the plot '{job.plugin_key}' changed since this job was submitted "
                            f"(version {job.plugin_version} then, {plugin.version} now); running the current one.")
    return plugin


# -- following the run ----------------------------------------------------------------------

_BILINGUAL = re.compile(r"^en:(?P<en>.*?)(;zh_c[nh]:.*)?$", re.S)


def step_text(label: Any) -> str:
    """A step's label for the job record: the English half of Hiplot's "en:...;zh_cn:..."."""
    if isinstance(label, list):
        label = label[0] if label else ""
    text = str(label or "").strip()
    match = _BILINGUAL.match(text)
    return (match.group("en") if match else text).strip()[:255]


class _Recorder:
    """Carries a running job's events to the database, and its cancel flag back.

    The supervisor calls `should_cancel` every 50 ms, so this is also where pending lines are
    written (at most every 0.25 s), the heartbeat refreshed, and the flag read (every 0.5 s).
    """

    def __init__(self, sessions: sessionmaker[Session], job_id: str, stop_requested: Callable[[], bool] | None):
        self.sessions = sessions
        self.job_id = job_id
        self.stop_requested = stop_requested
        self.pending: list[JobLog] = []
        self.step: str | None = None
        self.stopping = False  # the worker is shutting down
        self.taken_back = False  # the job is no longer running on this worker's account
        self.cancel_requested = False
        self.truncated = False
        self.last_flush = self.last_poll = self.last_beat = time.monotonic()
        self.last_poll -= CANCEL_POLL_S  # read the flag at the first call
        with sessions() as session:
            self.next_seq = (session.scalar(select(func.max(JobLog.seq)).where(JobLog.job_id == job_id)) or 0) + 1

    def add(self, kind: str, line: str) -> None:
        if self.next_seq + len(self.pending) > MAX_LOG_LINES:
            if not self.truncated:
                self.truncated = True
                line, kind = "... further lines are kept in the job folder's log.txt only.", "log"
            else:
                return
        self.pending.append(JobLog(job_id=self.job_id, seq=self.next_seq + len(self.pending), kind=kind,
                                   line=line[:MAX_LINE_CHARS], created_at=utc_now()))

    def on_event(self, kind: str, payload: Any) -> None:
        if kind == "log":
            self.add("log", str(payload))
        elif kind == "step" and isinstance(payload, dict):
            self.add("step", json.dumps(payload, ensure_ascii=False))
            if payload.get("status") == 1:  # Hiplot's "running"
                self.step = step_text(payload.get("label"))
        if time.monotonic() - self.last_flush >= LOG_FLUSH_S:
            self.flush()

    def should_cancel(self) -> bool:
        now = time.monotonic()
        if now - self.last_flush >= LOG_FLUSH_S and (self.pending or self.step is not None):
            self.flush()
        if self.stop_requested is not None and self.stop_requested():
            self.stopping = True
            return True
        if now - self.last_poll >= CANCEL_POLL_S:
            self.last_poll = now
            self._poll(beat=now - self.last_beat >= HEARTBEAT_S)
        return self.cancel_requested or self.taken_back

    def _poll(self, beat: bool) -> None:
        with self.sessions() as session:
            row = session.execute(select(Job.state, Job.cancel_requested).where(Job.id == self.job_id)).one_or_none()
            if row is None or row.state != JobState.RUNNING.value:
                self.taken_back = True  # the reconciler gave the job to another worker: stop this run
                return
            self.cancel_requested = bool(row.cancel_requested)
            if beat:
                self.last_beat = time.monotonic()
                session.execute(update(Job).where(Job.id == self.job_id, Job.state == JobState.RUNNING.value)
                                .values(heartbeat_at=utc_now()).execution_options(synchronize_session=False))
                session.commit()

    def flush(self) -> None:
        self.last_flush = time.monotonic()
        if not self.pending and self.step is None:
            return
        with self.sessions() as session:
            session.add_all(self.pending)
            if self.step is not None:
                session.execute(update(Job).where(Job.id == self.job_id).values(step=self.step)
                                .execution_options(synchronize_session=False))
            session.commit()
        self.next_seq += len(self.pending)
        self.pending = []
        self.step = None
