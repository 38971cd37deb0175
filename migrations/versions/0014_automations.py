"""Automations, the resources they relate to, and their firings.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_type() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "automation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("tags", json_type(), nullable=False),
        sa.Column("trigger", json_type(), nullable=False),
        sa.Column("actions", json_type(), nullable=False),
        sa.Column("actions_on_trigger", json_type(), nullable=False),
        sa.Column("actions_on_resolve", json_type(), nullable=False),
        sa.Column("notification_policy_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notification_policy_id"],
            ["flow_run_notification_policy.id"],
            name=op.f("fk_automation_notification_policy_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation")),
        sa.UniqueConstraint(
            "notification_policy_id", name=op.f("uq_automation_notification_policy_id")
        ),
    )
    op.create_index("ix_automation_enabled_updated", "automation", ["enabled", "updated"])
    op.create_table(
        "automation_related_resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.Column("automation_owned_by_resource", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_automation_related_resource_automation_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_related_resource")),
        sa.UniqueConstraint(
            "automation_id",
            "resource_id",
            name=op.f("uq_automation_related_resource_automation_id_resource_id"),
        ),
    )
    op.create_index(
        op.f("ix_automation_related_resource_automation_id"),
        "automation_related_resource",
        ["automation_id"],
    )
    op.create_index(
        op.f("ix_automation_related_resource_resource_id"),
        "automation_related_resource",
        ["resource_id"],
    )
    op.create_table(
        "automation_firing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("trigger_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triggering_labels", json_type(), nullable=False),
        sa.Column("triggering_event", json_type(), nullable=True),
        sa.Column("triggering_event_ids", json_type(), nullable=False),
        sa.ForeignKeyConstraint(
            ["automation_id"],
            ["automation.id"],
            name=op.f("fk_automation_firing_automation_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_firing")),
    )
    op.create_index(
        "ix_automation_firing_automation_id_created",
        "automation_firing",
        ["automation_id", "created"],
    )


def downgrade() -> None:
    op.drop_table("automation_firing")
    op.drop_table("automation_related_resource")
    op.drop_table("automation")
