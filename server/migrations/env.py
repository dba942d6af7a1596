"""Alembic's entry point: run the migrations against the URL given by server.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from server.db.engine import engine_for
from server.db.models import Base

# Any fixed number: PostgreSQL serialises concurrent upgrades (a web tier and workers starting together).
_UPGRADE_LOCK_ID = 0x504C4F54


def run_migrations_online() -> None:
    url = context.config.attributes["database_url"]
    engine = engine_for(url)
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=is_sqlite,  # SQLite can only ALTER a table by copying it
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _UPGRADE_LOCK_ID})
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run against a database")
run_migrations_online()
