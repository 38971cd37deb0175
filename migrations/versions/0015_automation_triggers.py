"""What trigger evaluation keeps: buckets of counted events, events already evaluated,
the newest firing of each child of a composite trigger, the sweep's cursor; and the
notification policies kept as automations.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid5

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As `models.automations.policy_automations.POLICY_AUTOMATION_IDS` (revisions import
#: nothing of ours, so the few lines that shape a policy's automation are repeated here).
POLICY_AUTOMATION_IDS = UUID("0c6f1f4e-2d7b-4f8e-9a51-3e8d2b7c4a90")


def json_type() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def automation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["automation_id"],
        ["automation.id"],
        name=op.f(f"fk_{table}_automation_id"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "automation_bucket",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("trigger_id", sa.Uuid(), nullable=False),
        sa.Column("bucketing_key", json_type(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_event", json_type(), nullable=True),
        sa.Column("event_ids", json_type(), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        automation_fk("automation_bucket"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_bucket")),
    )
    op.create_index(
        op.f("ix_automation_bucket_automation_id"), "automation_bucket", ["automation_id"]
    )
    op.create_index(
        "ix_automation_bucket_trigger_id_end", "automation_bucket", ["trigger_id", "end"]
    )
    op.create_table(
        "automation_evaluated_event",
        sa.Column("trigger_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("evaluated", sa.DateTime(timezone=True), nullable=False),
        automation_fk("automation_evaluated_event"),
        sa.PrimaryKeyConstraint(
            "trigger_id", "event_id", name=op.f("pk_automation_evaluated_event")
        ),
    )
    op.create_index(
        op.f("ix_automation_evaluated_event_automation_id"),
        "automation_evaluated_event",
        ["automation_id"],
    )
    op.create_index(
        op.f("ix_automation_evaluated_event_evaluated"),
        "automation_evaluated_event",
        ["evaluated"],
    )
    op.create_table(
        "automation_child_firing",
        sa.Column("composite_trigger_id", sa.Uuid(), nullable=False),
        sa.Column("child_trigger_id", sa.Uuid(), nullable=False),
        sa.Column("automation_id", sa.Uuid(), nullable=False),
        sa.Column("firing_id", sa.Uuid(), nullable=False),
        sa.Column("occurred", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triggering_event", json_type(), nullable=True),
        sa.Column("event_ids", json_type(), nullable=False),
        automation_fk("automation_child_firing"),
        sa.PrimaryKeyConstraint(
            "composite_trigger_id", "child_trigger_id", name=op.f("pk_automation_child_firing")
        ),
    )
    op.create_index(
        op.f("ix_automation_child_firing_automation_id"),
        "automation_child_firing",
        ["automation_id"],
    )
    op.create_table(
        "automation_sweep_cursor",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_automation_sweep_cursor")),
    )
    convert_notification_policies()


def policy_automation(policy: Any) -> dict[str, Any]:
    """The automation row of one stored policy (see `models.automations.policy_automations`)."""
    match_related: dict[str, Any] = {}
    if policy.tags:
        match_related = {
            "prefect.resource.role": "tag",
            "prefect.resource.id": [f"prefect.tag.{tag}" for tag in policy.tags],
        }
    trigger = {
        "type": "event",
        "id": str(uuid5(POLICY_AUTOMATION_IDS, f"trigger/{policy.id}")),
        "posture": "Reactive",
        "expect": ["prefect.flow-run.*"],
        "after": [],
        "match": {
            "prefect.resource.id": "prefect.flow-run.*",
            "prefect.state-name": list(policy.state_names or []) or "*",
        },
        "match_related": match_related,
        "for_each": [],
        "threshold": 1,
        "within": 0,
    }
    action = {
        "type": "send-notification",
        "block_document_id": str(policy.block_document_id),
        "subject": "Prefect flow run notification",
        "body": policy.message_template or "",
    }
    return {
        "id": uuid5(POLICY_AUTOMATION_IDS, f"automation/{policy.id}"),
        "created": policy.created,
        "updated": policy.updated,
        "name": f"Notification policy {policy.id}",
        "description": "",
        "enabled": policy.is_active,
        "tags": [],
        "trigger": trigger,
        "actions": [action],
        "actions_on_trigger": [],
        "actions_on_resolve": [],
        "notification_policy_id": policy.id,
    }


def policies_table() -> sa.TableClause:
    return sa.table(
        "flow_run_notification_policy",
        sa.column("id", sa.Uuid()),
        sa.column("created", sa.DateTime(timezone=True)),
        sa.column("updated", sa.DateTime(timezone=True)),
        sa.column("is_active", sa.Boolean()),
        sa.column("state_names", json_type()),
        sa.column("tags", json_type()),
        sa.column("block_document_id", sa.Uuid()),
        sa.column("message_template", sa.Text()),
    )


def automations_table() -> sa.TableClause:
    return sa.table(
        "automation",
        *(
            sa.column(name, kind)
            for name, kind in [
                ("id", sa.Uuid()),
                ("created", sa.DateTime(timezone=True)),
                ("updated", sa.DateTime(timezone=True)),
                ("name", sa.String()),
                ("description", sa.Text()),
                ("enabled", sa.Boolean()),
                ("tags", json_type()),
                ("trigger", json_type()),
                ("actions", json_type()),
                ("actions_on_trigger", json_type()),
                ("actions_on_resolve", json_type()),
                ("notification_policy_id", sa.Uuid()),
            ]
        ),
    )


def convert_notification_policies() -> None:
    """Every stored notification policy without its automation gets one."""
    policies, automations = policies_table(), automations_table()
    connection = op.get_bind()
    unconverted = sa.select(policies).where(
        ~sa.exists().where(automations.c.notification_policy_id == policies.c.id)
    )
    rows = [policy_automation(policy) for policy in connection.execute(unconverted)]
    if rows:
        connection.execute(sa.insert(automations), rows)


def downgrade() -> None:
    policies, automations = policies_table(), automations_table()
    connection = op.get_bind()
    converted = [
        uuid5(POLICY_AUTOMATION_IDS, f"automation/{policy_id}")
        for policy_id in connection.scalars(sa.select(policies.c.id))
    ]
    if converted:
        connection.execute(sa.delete(automations).where(automations.c.id.in_(converted)))
    op.drop_table("automation_sweep_cursor")
    op.drop_table("automation_child_firing")
    op.drop_table("automation_evaluated_event")
    op.drop_table("automation_bucket")
