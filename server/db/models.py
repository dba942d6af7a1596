"""The job record and its log, as SQLAlchemy 2.0 ORM classes.

The migrations in server/migrations create these tables; a change here needs a new revision
there (`alembic revision --autogenerate` against a scratch database shows what changed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import JSONType, UTCDateTime, utc_now


class Base(DeclarativeBase):
    pass


class Job(Base):
    """One run request and everything known about its run."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    plugin_key: Mapped[str] = mapped_column(String(255))
    plugin_version: Mapped[str] = mapped_column(String(64))
    plugin_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]] = mapped_column(JSONType)
    config: Mapped[dict[str, Any]] = mapped_column(JSONType)
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")
    step: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    outputs: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # For a failed run: the column or parameter its error concerns, as request field errors.
    field_errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list, server_default=text("'[]'"))
    job_dir: Mapped[str] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        Index("ix_jobs_owner_created_at", "owner", "created_at"),
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_request_hash", "request_hash"),
    )

    @property
    def finished(self) -> bool:
        return self.state in ("succeeded", "failed", "cancelled")

    def to_dict(self) -> dict[str, Any]:
        """The record as the API shows it to its owner (no paths, no worker names)."""

        def stamp(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "plugin": self.plugin_key,
            "plugin_version": self.plugin_version,
            "state": self.state,
            "reason": self.reason,
            "message": self.message,
            "step": self.step,
            "attempts": self.attempts,
            "created_at": stamp(self.created_at),
            "started_at": stamp(self.started_at),
            "finished_at": stamp(self.finished_at),
            "outputs": list(self.outputs or []),
            "field_errors": list(self.field_errors or []),
            "cancel_requested": self.cancel_requested,
        }


class JobLog(Base):
    """One line a job printed, or one step it entered, in order (a page follows them live)."""

    __tablename__ = "job_logs"

    job_id: Mapped[str] = mapped_column(String(64), ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(8), default="log")  # "log" or "step"
    line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "line": self.line, "created_at": self.created_at.isoformat()}
