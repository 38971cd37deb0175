"""Notification policies, deliveries and attempts; dead letters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:56:23.355166
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("queue_name", sa.String(length=64), nullable=False),
        sa.Column("actor_name", sa.String(length=128), nullable=False),
        sa.Column(
            "message", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_failed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_failed", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failure_count", sa.Integer(), nullable=False),
        sa.Column("replay_count", sa.Integer(), nullable=False),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letter")),
        sa.UniqueConstraint("message_id", name=op.f("uq_dead_letter_message_id")),
    )
    op.create_index(
        "ix_dead_letter_queue_name_last_failed",
        "dead_letter",
        ["queue_name", "last_failed"],
        unique=False,
    )
    op.create_table(
        "flow_run_notification_policy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "state_names", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("block_document_id", sa.Uuid(), nullable=False),
        sa.Column("message_template", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["block_document_id"],
            ["block_document.id"],
            name=op.f("fk_flow_run_notification_policy_block_document_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_notification_policy")),
    )
    op.create_index(
        op.f("ix_flow_run_notification_policy_block_document_id"),
        "flow_run_notification_policy",
        ["block_document_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_flow_run_notification_policy_is_active"),
        "flow_run_notification_policy",
        ["is_active"],
        unique=False,
    )
    op.create_table(
        "notification_delivery",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=True),
        sa.Column("block_document_id", sa.Uuid(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("flow_run_state_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["block_document_id"],
            ["block_document.id"],
            name=op.f("fk_notification_delivery_block_document_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["flow_run_notification_policy.id"],
            name=op.f("fk_notification_delivery_policy_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_delivery")),
    )
    op.create_index(
        "ix_notification_delivery_channel_status",
        "notification_delivery",
        ["channel", "status"],
        unique=False,
    )
    op.create_index(
        "ix_notification_delivery_flow_run_id_created",
        "notification_delivery",
        ["flow_run_id", "created"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_delivery_policy_id"),
        "notification_delivery",
        ["policy_id"],
        unique=False,
    )
    op.create_table(
        "notification_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error_class", sa.String(length=128), nullable=True),
        sa.Column("duration_ms", sa.Double(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_delivery.id"],
            name=op.f("fk_notification_attempt_delivery_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attempt")),
        sa.UniqueConstraint(
            "delivery_id", "number", name=op.f("uq_notification_attempt_delivery_id_number")
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_attempt")
    op.drop_index(op.f("ix_notification_delivery_policy_id"), table_name="notification_delivery")
    op.drop_index(
        "ix_notification_delivery_flow_run_id_created", table_name="notification_delivery"
    )
    op.drop_index("ix_notification_delivery_channel_status", table_name="notification_delivery")
    op.drop_table("notification_delivery")
    op.drop_index(
        op.f("ix_flow_run_notification_policy_is_active"), table_name="flow_run_notification_policy"
    )
    op.drop_index(
        op.f("ix_flow_run_notification_policy_block_document_id"),
        table_name="flow_run_notification_policy",
    )
    op.drop_table("flow_run_notification_policy")
    op.drop_index("ix_dead_letter_queue_name_last_failed", table_name="dead_letter")
    op.drop_table("dead_letter")
