"""Runs: flow runs, task runs, their state histories, logs and events.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 18:56:22.982683
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=255), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=False),
        sa.Column(
            "resource", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "related", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("follows", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index("ix_event_event_occurred", "event", ["event", "occurred"], unique=False)
    op.create_index(op.f("ix_event_occurred"), "event", ["occurred"], unique=False)
    op.create_index(op.f("ix_event_received"), "event", ["received"], unique=False)
    op.create_index(
        "ix_event_resource_id_occurred", "event", ["resource_id", "occurred"], unique=False
    )
    op.create_table(
        "log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log")),
    )
    op.create_index(
        "ix_log_flow_run_id_timestamp", "log", ["flow_run_id", "timestamp"], unique=False
    )
    op.create_index(op.f("ix_log_level"), "log", ["level"], unique=False)
    op.create_index(
        "ix_log_task_run_id_timestamp", "log", ["task_run_id", "timestamp"], unique=False
    )
    op.create_index(op.f("ix_log_timestamp"), "log", ["timestamp"], unique=False)
    op.create_table(
        "task_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_key", sa.String(length=255), nullable=False),
        sa.Column("dynamic_key", sa.String(length=255), nullable=False),
        sa.Column("task_version", sa.String(length=255), nullable=True),
        sa.Column("cache_key", sa.String(length=255), nullable=True),
        sa.Column("cache_expiration", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_id", sa.Uuid(), nullable=True),
        sa.Column("state_type", sa.String(length=20), nullable=True),
        sa.Column("state_name", sa.String(length=255), nullable=True),
        sa.Column("state_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("flow_run_run_count", sa.Integer(), nullable=False),
        sa.Column("expected_start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_scheduled_start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_run_time_seconds", sa.Double(), nullable=False),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "task_inputs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "empirical_policy",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run")),
    )
    op.create_index(
        op.f("ix_task_run_expected_start_time"), "task_run", ["expected_start_time"], unique=False
    )
    op.create_index(
        "ix_task_run_flow_run_id_expected_start_time",
        "task_run",
        ["flow_run_id", "expected_start_time"],
        unique=False,
    )
    op.create_index(
        "ix_task_run_flow_run_id_task_key_dynamic_key",
        "task_run",
        ["flow_run_id", "task_key", "dynamic_key"],
        unique=False,
    )
    op.create_index(op.f("ix_task_run_name"), "task_run", ["name"], unique=False)
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.create_index(
            "ix_task_run_name_trgm",
            "task_run",
            ["name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.create_index(op.f("ix_task_run_start_time"), "task_run", ["start_time"], unique=False)
    op.create_index(op.f("ix_task_run_state_name"), "task_run", ["state_name"], unique=False)
    op.create_index(op.f("ix_task_run_state_type"), "task_run", ["state_type"], unique=False)
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.create_index(
            "ix_task_run_tags_gin",
            "task_run",
            ["tags"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
    op.create_table(
        "task_run_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task_run_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "state_details",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_run_id"],
            ["task_run.id"],
            name=op.f("fk_task_run_state_task_run_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run_state")),
    )
    op.create_index(
        "ix_task_run_state_task_run_id_timestamp",
        "task_run_state",
        ["task_run_id", "timestamp"],
        unique=False,
    )
    op.create_table(
        "flow_run",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("flow_version", sa.String(length=255), nullable=True),
        sa.Column("state_id", sa.Uuid(), nullable=True),
        sa.Column("state_type", sa.String(length=20), nullable=True),
        sa.Column("state_name", sa.String(length=255), nullable=True),
        sa.Column("state_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column("expected_start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_scheduled_start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_run_time_seconds", sa.Double(), nullable=False),
        sa.Column("last_heartbeat_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "parameters", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "context", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "empirical_policy",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "job_variables",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.Column("parent_task_run_id", sa.Uuid(), nullable=True),
        sa.Column("deployment_id", sa.Uuid(), nullable=True),
        sa.Column("deployment_version", sa.String(length=255), nullable=True),
        sa.Column("work_queue_id", sa.Uuid(), nullable=True),
        sa.Column("work_queue_name", sa.String(length=255), nullable=True),
        sa.Column("work_pool_id", sa.Uuid(), nullable=True),
        sa.Column("work_pool_name", sa.String(length=255), nullable=True),
        sa.Column("auto_scheduled", sa.Boolean(), nullable=False),
        sa.Column("infrastructure_pid", sa.String(length=255), nullable=True),
        sa.Column("infrastructure_document_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_by", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_flow_run_deployment_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flow.id"], name=op.f("fk_flow_run_flow_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pool.id"],
            name=op.f("fk_flow_run_work_pool_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["work_queue_id"],
            ["work_queue.id"],
            name=op.f("fk_flow_run_work_queue_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run")),
        sa.UniqueConstraint(
            "flow_id", "idempotency_key", name=op.f("uq_flow_run_flow_id_idempotency_key")
        ),
    )
    op.create_index(
        "ix_flow_run_deployment_id_expected_start_time",
        "flow_run",
        ["deployment_id", "expected_start_time"],
        unique=False,
    )
    op.create_index(op.f("ix_flow_run_end_time"), "flow_run", ["end_time"], unique=False)
    op.create_index(
        op.f("ix_flow_run_expected_start_time"), "flow_run", ["expected_start_time"], unique=False
    )
    op.create_index(
        "ix_flow_run_flow_id_start_time", "flow_run", ["flow_id", "start_time"], unique=False
    )
    op.create_index(op.f("ix_flow_run_name"), "flow_run", ["name"], unique=False)
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.create_index(
            "ix_flow_run_name_trgm",
            "flow_run",
            ["name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.create_index(
        op.f("ix_flow_run_next_scheduled_start_time"),
        "flow_run",
        ["next_scheduled_start_time"],
        unique=False,
    )
    op.create_index(
        op.f("ix_flow_run_parent_task_run_id"), "flow_run", ["parent_task_run_id"], unique=False
    )
    op.create_index(op.f("ix_flow_run_start_time"), "flow_run", ["start_time"], unique=False)
    op.create_index(op.f("ix_flow_run_state_name"), "flow_run", ["state_name"], unique=False)
    op.create_index(op.f("ix_flow_run_state_type"), "flow_run", ["state_type"], unique=False)
    op.create_index(
        "ix_flow_run_state_type_expected_start_time",
        "flow_run",
        ["state_type", "expected_start_time"],
        unique=False,
    )
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.create_index(
            "ix_flow_run_tags_gin",
            "flow_run",
            ["tags"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
    op.create_index(
        "ix_flow_run_work_queue_id_state_type",
        "flow_run",
        ["work_queue_id", "state_type"],
        unique=False,
    )
    op.create_table(
        "flow_run_state",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("flow_run_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "state_details",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_run.id"],
            name=op.f("fk_flow_run_state_flow_run_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_state")),
    )
    op.create_index(
        "ix_flow_run_state_flow_run_id_timestamp",
        "flow_run_state",
        ["flow_run_id", "timestamp"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_flow_run_state_flow_run_id_timestamp", table_name="flow_run_state")
    op.drop_table("flow_run_state")
    op.drop_index("ix_flow_run_work_queue_id_state_type", table_name="flow_run")
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.drop_index(
            "ix_flow_run_tags_gin",
            table_name="flow_run",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
    op.drop_index("ix_flow_run_state_type_expected_start_time", table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_state_type"), table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_state_name"), table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_start_time"), table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_parent_task_run_id"), table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_next_scheduled_start_time"), table_name="flow_run")
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.drop_index(
            "ix_flow_run_name_trgm",
            table_name="flow_run",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.drop_index(op.f("ix_flow_run_name"), table_name="flow_run")
    op.drop_index("ix_flow_run_flow_id_start_time", table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_expected_start_time"), table_name="flow_run")
    op.drop_index(op.f("ix_flow_run_end_time"), table_name="flow_run")
    op.drop_index("ix_flow_run_deployment_id_expected_start_time", table_name="flow_run")
    op.drop_table("flow_run")
    op.drop_index("ix_task_run_state_task_run_id_timestamp", table_name="task_run_state")
    op.drop_table("task_run_state")
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.drop_index(
            "ix_task_run_tags_gin",
            table_name="task_run",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        )
    op.drop_index(op.f("ix_task_run_state_type"), table_name="task_run")
    op.drop_index(op.f("ix_task_run_state_name"), table_name="task_run")
    op.drop_index(op.f("ix_task_run_start_time"), table_name="task_run")
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.drop_index(
            "ix_task_run_name_trgm",
            table_name="task_run",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.drop_index(op.f("ix_task_run_name"), table_name="task_run")
    op.drop_index("ix_task_run_flow_run_id_task_key_dynamic_key", table_name="task_run")
    op.drop_index("ix_task_run_flow_run_id_expected_start_time", table_name="task_run")
    op.drop_index(op.f("ix_task_run_expected_start_time"), table_name="task_run")
    op.drop_table("task_run")
    op.drop_index(op.f("ix_log_timestamp"), table_name="log")
    op.drop_index("ix_log_task_run_id_timestamp", table_name="log")
    op.drop_index(op.f("ix_log_level"), table_name="log")
    op.drop_index("ix_log_flow_run_id_timestamp", table_name="log")
    op.drop_table("log")
    op.drop_index("ix_event_resource_id_occurred", table_name="event")
    op.drop_index(op.f("ix_event_received"), table_name="event")
    op.drop_index(op.f("ix_event_occurred"), table_name="event")
    op.drop_index("ix_event_event_occurred", table_name="event")
    op.drop_table("event")
