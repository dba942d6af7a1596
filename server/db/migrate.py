"""Bring a database up to the newest schema with Alembic, configured from code (no alembic.ini).

For a new revision during development:
    python -c "from server.db.migrate import alembic_config; from alembic import command; \
               command.revision(alembic_config('sqlite:///scratch.db'), 'what changed', autogenerate=True)"
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from server.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Handed over as an attribute, not an option: ConfigParser would read a '%' in a password.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def init_database(settings: Settings) -> None:
    """Create or upgrade the schema of the settings' database (safe to call at every start)."""
    upgrade(settings.database_url)
