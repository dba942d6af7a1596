"""Field errors on a failed job: the column or parameter a plugin's error concerns.

Revision ID: 0002_job_field_errors
Revises: 0001_jobs
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from server.db.types import JSONType

revision = "0002_job_field_errors"
down_revision = "0001_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("field_errors", JSONType, nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("field_errors")
