"""Concurrency limits remember up to when their slots have decayed.

Existing rows get 0: their first update decays whatever they held for a rate limit (long
past due) and starts the clock afresh.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("concurrency_limit") as batch:
        batch.add_column(
            sa.Column("slots_decayed_at", sa.Double(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("concurrency_limit") as batch:
        batch.drop_column("slots_decayed_at")
