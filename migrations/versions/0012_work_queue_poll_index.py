"""Flow runs: the work-queue index also holds the next scheduled start time, for the poll.

A Prefect worker's poll (`get_scheduled_flow_runs`) reads each queue's SCHEDULED runs
soonest first. With (work_queue_id, state_type) alone, the database read every scheduled run
of the queue and sorted them; with the time as the third column it reads the first few in
order and stops. The new index has the old one as its prefix, so the old one goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_flow_run_work_queue_id_state_type_next_scheduled_start_time",
        "flow_run",
        ["work_queue_id", "state_type", "next_scheduled_start_time"],
        unique=False,
    )
    op.drop_index("ix_flow_run_work_queue_id_state_type", table_name="flow_run")


def downgrade() -> None:
    op.create_index(
        "ix_flow_run_work_queue_id_state_type",
        "flow_run",
        ["work_queue_id", "state_type"],
        unique=False,
    )
    op.drop_index(
        "ix_flow_run_work_queue_id_state_type_next_scheduled_start_time", table_name="flow_run"
    )
