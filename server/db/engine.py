"""One SQLAlchemy engine per database URL and process, set up for many concurrent writers.

SQLite: WAL (readers never wait for the writer), a generous busy timeout (a writer waits for
another instead of failing at once; web process and workers all write), and foreign keys,
which SQLite leaves off unless asked. PostgreSQL: psycopg 3, connections checked before use.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[tuple[str, int], Engine] = {}
_lock = threading.Lock()


def engine_for(url: str) -> Engine:
    """The engine for ``url`` in this process (a forked or spawned process makes its own)."""
    key = (url, os.getpid())
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = _create(url)
        return engine


def session_factory(url: str) -> sessionmaker[Session]:
    # expire_on_commit=False: records returned by the service stay readable after the commit.
    return sessionmaker(engine_for(url), expire_on_commit=False)


def dispose_engines(url: str | None = None) -> None:
    """Close the pooled connections of this process's engines (all, or the one for ``url``).

    A test dropping its database calls this first; a later `engine_for` makes a new engine.
    """
    with _lock:
        for key in [k for k in _engines if k[1] == os.getpid() and (url is None or k[0] == url)]:
            _engines.pop(key).dispose()


def _create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL; a commit costs no fsync
    finally:
        cursor.close()
