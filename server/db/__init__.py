"""The database: the job records, the engine for SQLite or PostgreSQL, and the migrations."""

from server.db.engine import engine_for, session_factory
from server.db.migrate import init_database
from server.db.models import Base, Job, JobLog
from server.db.types import utc_now

__all__ = ["Base", "Job", "JobLog", "engine_for", "init_database", "session_factory", "utc_now"]
