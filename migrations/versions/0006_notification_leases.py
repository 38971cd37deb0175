"""Notification leases; delivery details; attempt recipient, provider id and Retry-After.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_lease",
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("attempt_number", sa.Integer(), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_delivery.id"],
            name=op.f("fk_notification_lease_delivery_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_notification_lease")),
    )
    with op.batch_alter_table("notification_delivery") as batch:
        batch.add_column(
            sa.Column(
                "details", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
            )
        )
        batch.create_index("ix_notification_delivery_status_created", ["status", "created"])
    with op.batch_alter_table("notification_attempt") as batch:
        batch.add_column(sa.Column("target", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("provider_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("retry_after_ms", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_attempt") as batch:
        batch.drop_column("retry_after_ms")
        batch.drop_column("provider_id")
        batch.drop_column("target")
    with op.batch_alter_table("notification_delivery") as batch:
        batch.drop_index("ix_notification_delivery_status_created")
        batch.drop_column("details")
    op.drop_table("notification_lease")
