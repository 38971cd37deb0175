"""What running an automation's actions keeps: one record per action of each firing,
and the deliveries an automation sends.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_type() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "automation_action_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("firing_id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("action_type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("details", json_type(), nullable=False),
        sa.ForeignKeyConstraint(
            ["firing_id"],
            ["automation_firing.id"],
            name=op.f("fk_automation_action_run_firing_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_action_run")),
    )
    op.create_index(
        op.f("ix_automation_action_run_firing_id"), "automation_action_run", ["firing_id"]
    )
    op.create_index(
        "ix_automation_action_run_automation_id_created",
        "automation_action_run",
        ["automation_id", "created"],
    )
    with op.batch_alter_table("notification_delivery") as batch:
        batch.add_column(sa.Column("automation_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("firing_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_notification_delivery_automation_id", ["automation_id"])


def downgrade() -> None:
    with op.batch_alter_table("notification_delivery") as batch:
        batch.drop_index("ix_notification_delivery_automation_id")
        batch.drop_column("firing_id")
        batch.drop_column("automation_id")
    op.drop_table("automation_action_run")
