"""Logs: the time index also holds the id, so logs list in their order (time, then id) from it.

Listing logs sorts by timestamp and breaks ties by id. With the timestamp alone indexed,
SQLite sorted each run of equal times again in a temporary B-tree: a page 800,000 records
deep took 0.37 s instead of 0.03 s.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_log_timestamp", table_name="log")
    op.create_index("ix_log_timestamp_id", "log", ["timestamp", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_log_timestamp_id", table_name="log")
    op.create_index("ix_log_timestamp", "log", ["timestamp"], unique=False)
