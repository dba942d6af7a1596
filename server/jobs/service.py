"""The job service: what the web tier asks of jobs (submit, look, cancel, read logs and files).

It validates at submit, so a job in the database is always runnable as far as its request
goes; it records, then hands the job id to the backend. Every lookup is by owner: another
owner's job is indistinguishable from one that does not exist.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from plugin_sdk.catalogue import Catalogue
from plugin_sdk.params import RequestInvalid, Resolved, resolve_request
from plugin_sdk.params.schema import DEFAULT_LIMITS
from plugin_sdk.plugin import Plugin
from plugin_sdk.runtime.limits import MIB
from plugin_sdk.runtime.outcome import Reason
from server.db.engine import session_factory
from server.db.models import Job, JobLog
from server.db.types import utc_now
from server.jobs.backends import Backend
from server.jobs.cache import copy_outputs, find_cached, request_hash
from server.jobs.folders import job_dir_for, output_file, summarise_tables, write_submission
from server.jobs.states import JobState, transition
from server.settings import Settings

log = logging.getLogger(__name__)

CANCELLED_MESSAGE = "The job was cancelled."
CACHE_HIT_LINE = "Reused the figures of an identical earlier run (same plot version, settings and tables)."
MAX_LIST = 500
MAX_LOG_PAGE = 5000

__all__ = ["JobService", "RequestInvalid", "TooBusy", "UnknownPlugin"]


class UnknownPlugin(LookupError):
    """No runnable plugin by that name."""


class TooBusy(RuntimeError):
    """A queue cap is reached; the message says so in the user's terms."""


class JobService:
    def __init__(self, settings: Settings, catalogue: Catalogue, backend: Backend) -> None:
        self.settings = settings
        self.catalogue = catalogue
        self.backend = backend
        self.sessions: sessionmaker[Session] = session_factory(settings.database_url)
        self.table_limits = dataclasses.replace(DEFAULT_LIMITS, max_bytes=settings.max_upload_mb * MIB)

    # -- submit ------------------------------------------------------------------------------

    def submit(self, owner: str, plugin_key: str, request: dict[str, Any], allow_cached: bool = True,
               files: Mapping[str, Path] | None = None) -> Job:
        """Validate and record a run request; the job comes back queued, or succeeded from the cache.

        ``files`` (plain file name -> source) are copied into the job's uploads/ folder: the
        files of cloud-file inputs, which the request names by those file names.
        Raises `UnknownPlugin`, `RequestInvalid` (with field errors) or `TooBusy`.
        """
        plugin = self._runnable_plugin(plugin_key)
        resolved = resolve_request(plugin, request, self.table_limits)
        digest = request_hash(plugin.content_hash, resolved)
        job_id = secrets.token_urlsafe(16)
        job_dir = job_dir_for(self.settings.jobs_dir, job_id)
        job = Job(
            id=job_id, owner=owner, plugin_key=plugin.key, plugin_version=plugin.version,
            plugin_hash=plugin.content_hash, request=summarise_tables(request, resolved),
            config=resolved.config, request_hash=digest, state=JobState.QUEUED.value, reason=None,
            message="", step="", attempts=0, created_at=utc_now(), outputs=[], job_dir=str(job_dir),
            cancel_requested=False,
        )
        with self.sessions() as session:
            if allow_cached and (earlier := find_cached(session, digest)) is not None:
                return self._record_cache_hit(session, job, earlier, resolved)
            self._check_caps(session, owner)
            write_submission(job_dir, resolved)
            _copy_uploads(job_dir, files or {})
            session.add(job)
            session.commit()
        try:
            self.backend.enqueue(job_id)
        except Exception:  # the row is queued: the backend's reconciler will find it
            log.exception("could not hand job %s to the %s backend", job_id, self.backend.name)
        return job

    def _runnable_plugin(self, plugin_key: str) -> Plugin:
        plugin = self.catalogue.get(plugin_key)
        if plugin is None:
            raise UnknownPlugin(f"There is no plot called '{plugin_key}'.")
        if not plugin.runnable:
            raise UnknownPlugin(f"'{plugin.key}' is a catalogue entry only; it has no script to run.")
        return plugin

    def _record_cache_hit(self, session: Session, job: Job, earlier: Job, resolved: Resolved) -> Job:
        job_dir = Path(job.job_dir)
        write_submission(job_dir, resolved)
        now = utc_now()
        job.outputs = copy_outputs(earlier, job_dir)
        job.state = JobState.SUCCEEDED.value
        job.started_at = job.finished_at = now
        session.add(job)
        session.flush()
        session.add(JobLog(job_id=job.id, seq=1, kind="log", line=CACHE_HIT_LINE, created_at=now))
        session.commit()
        return job

    def _check_caps(self, session: Session, owner: str) -> None:
        queued = JobState.QUEUED.value
        mine = session.scalar(select(func.count()).where(Job.owner == owner, Job.state == queued)) or 0
        if mine >= self.settings.max_queued_per_user:
            raise TooBusy(f"You already have {mine} jobs waiting; try again when some have finished")
        everyone = session.scalar(select(func.count()).where(Job.state == queued)) or 0
        if everyone >= self.settings.max_queue:
            raise TooBusy(f"The server already has {everyone} jobs waiting; please try again in a few minutes")

    # -- look --------------------------------------------------------------------------------

    def get(self, owner: str, job_id: str) -> Job | None:
        """The job, or None when it does not exist or belongs to someone else."""
        with self.sessions() as session:
            return session.scalar(select(Job).where(Job.id == job_id, Job.owner == owner))

    def list(self, owner: str, limit: int = 50) -> list[Job]:
        """The owner's jobs, newest first."""
        limit = max(1, min(limit, MAX_LIST))
        with self.sessions() as session:
            statement = select(Job).where(Job.owner == owner).order_by(Job.created_at.desc(), Job.id).limit(limit)
            return list(session.scalars(statement))

    def logs(self, job_id: str, after_seq: int = 0, limit: int = MAX_LOG_PAGE) -> list[JobLog]:
        """Log lines and steps after ``after_seq``, in order. The caller has checked the owner (`get`)."""
        with self.sessions() as session:
            statement = (
                select(JobLog)
                .where(JobLog.job_id == job_id, JobLog.seq > after_seq)
                .order_by(JobLog.seq)
                .limit(max(1, min(limit, MAX_LOG_PAGE)))
            )
            return list(session.scalars(statement))

    def output_path(self, owner: str, job_id: str, name: str) -> Path | None:
        """The file of output ``name`` if the owner's job lists it (names are matched, never joined blindly)."""
        job = self.get(owner, job_id)
        if job is None:
            return None
        listed = next((o for o in job.outputs or [] if o.get("name") == name), None)
        if listed is None:
            return None
        path = output_file(Path(job.job_dir), listed["name"], listed["kind"])
        return path if path.is_file() else None

    # -- cancel ------------------------------------------------------------------------------

    def cancel(self, owner: str, job_id: str) -> Job | None:
        """Cancel the owner's job: a queued one at once, a running one within about two seconds.

        Returns the job as it now stands (unchanged when it had already finished), or None.
        """
        job = self.get(owner, job_id)
        if job is None:
            return None
        with self.sessions() as session:
            stopped_at_once = transition(
                session, job_id, JobState.QUEUED, JobState.CANCELLED,
                reason=Reason.CANCELLED.value, message=CANCELLED_MESSAGE, finished_at=utc_now(),
                cancel_requested=True,
            )
            if not stopped_at_once:
                # Running (or claimed a moment ago): the worker polls this flag and kills the run.
                flagged = session.execute(
                    update(Job)
                    .where(Job.id == job_id, Job.state == JobState.RUNNING.value)
                    .values(cancel_requested=True)
                    .execution_options(synchronize_session=False)
                ).rowcount
                session.commit()
                if flagged:
                    try:
                        self.backend.cancel(job_id)
                    except Exception:  # the flag alone is enough; the backend only speeds it up
                        log.exception("the %s backend could not cancel job %s", self.backend.name, job_id)
        return self.get(owner, job_id)


def _copy_uploads(job_dir: Path, files: Mapping[str, Path]) -> None:
    """Copy cloud-file uploads into <job>/uploads/ (plugin_sdk.runtime.jobfolder.JobFolder.upload_dir)."""
    if not files:
        return
    target = job_dir / "uploads"
    target.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        if Path(name).name != name or name.startswith("."):
            raise ValueError(f"not a plain file name: {name!r}")
        shutil.copyfile(source, target / name)
