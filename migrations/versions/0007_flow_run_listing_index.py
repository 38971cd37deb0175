"""PostgreSQL: an index in the default listing order of flow runs (newest expected first).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 21:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":  # SQLite cannot index NULLS LAST
        return
    op.create_index(
        "ix_flow_run_expected_start_time_desc_id_desc",
        "flow_run",
        [sa.text("expected_start_time DESC NULLS LAST"), sa.text("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    op.drop_index("ix_flow_run_expected_start_time_desc_id_desc", table_name="flow_run")
