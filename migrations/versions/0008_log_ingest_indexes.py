"""Logs: no index on the level alone; the task-run index only holds records of a task run.

Every index is written for every stored log record, and log ingest is the heaviest write
there is. A level is only ever filtered together with a run (whose index narrows the rows
first), and records of the flow run itself have no task run: neither needs an entry.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 11:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HAS_TASK_RUN = "task_run_id IS NOT NULL"


def upgrade() -> None:
    op.drop_index("ix_log_level", table_name="log")
    op.drop_index("ix_log_task_run_id_timestamp", table_name="log")
    op.create_index(
        "ix_log_task_run_id_timestamp",
        "log",
        ["task_run_id", "timestamp"],
        unique=False,
        sqlite_where=sa.text(HAS_TASK_RUN),
        postgresql_where=sa.text(HAS_TASK_RUN),
    )


def downgrade() -> None:
    op.drop_index("ix_log_task_run_id_timestamp", table_name="log")
    op.create_index(
        "ix_log_task_run_id_timestamp", "log", ["task_run_id", "timestamp"], unique=False
    )
    op.create_index("ix_log_level", "log", ["level"], unique=False)
