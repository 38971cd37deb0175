"""Coordination: flows, deployments, work pools and queues, concurrency limits.

Also schedules, Prefect workers and leases. On PostgreSQL, enables pg_trgm for name search.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 18:56:22.782845
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: What to do when pg_trgm cannot be enabled; the CLI prints it as one line.
PG_TRGM_HELP = (
    "Signalbox needs the PostgreSQL extension pg_trgm ({problem}). Install the server's "
    "contrib package (Debian: postgresql-contrib) and run CREATE EXTENSION pg_trgm; in "
    "database {database} as a superuser, or migrate as a role that may create extensions."
)


def enable_pg_trgm() -> None:
    """Create pg_trgm if it is missing, or fail with a message that says how to fix it."""
    if op.get_context().as_sql:  # --dry-run: only show the statement
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        return
    bind = op.get_bind()
    installed = bind.exec_driver_sql(
        "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
    ).scalar()
    if installed:
        return
    database = bind.exec_driver_sql("SELECT current_database()").scalar()
    available = bind.exec_driver_sql(
        "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
    ).scalar()
    if not available:
        raise RuntimeError(PG_TRGM_HELP.format(problem="not installed", database=database))
    try:
        # A savepoint, so a refusal leaves the migration's transaction usable for the error.
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.ProgrammingError as exc:
        problem = f"not allowed: {exc.orig}".strip().splitlines()[0]
        raise RuntimeError(PG_TRGM_HELP.format(problem=problem, database=database)) from None


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        enable_pg_trgm()
    op.create_table(
        "concurrency_lease",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slots", sa.Integer(), nullable=False),
        sa.Column(
            "holder", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concurrency_lease")),
    )
    op.create_index(
        op.f("ix_concurrency_lease_expires_at"), "concurrency_lease", ["expires_at"], unique=False
    )
    op.create_table(
        "concurrency_limit",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("limit", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("active_slots", sa.Integer(), nullable=False),
        sa.Column("denied_slots", sa.Integer(), nullable=False),
        sa.Column("slot_decay_per_second", sa.Double(), nullable=False),
        sa.Column("avg_slot_occupancy_seconds", sa.Double(), nullable=False),
        sa.CheckConstraint('"limit" >= 0', name=op.f("ck_concurrency_limit_limit_not_negative")),
        sa.CheckConstraint(
            "active_slots >= 0", name=op.f("ck_concurrency_limit_active_slots_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_concurrency_limit")),
        sa.UniqueConstraint("name", name=op.f("uq_concurrency_limit_name")),
    )
    op.create_table(
        "flow",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow")),
        sa.UniqueConstraint("name", name=op.f("uq_flow_name")),
    )
    op.create_table(
        "work_pool",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column(
            "base_job_template",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column(
            "storage_configuration",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("default_queue_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_pool")),
        sa.UniqueConstraint("name", name=op.f("uq_work_pool_name")),
    )
    op.create_table(
        "concurrency_lease_limit",
        sa.Column("lease_id", sa.Uuid(), nullable=False),
        sa.Column("limit_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lease_id"],
            ["concurrency_lease.id"],
            name=op.f("fk_concurrency_lease_limit_lease_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["limit_id"],
            ["concurrency_limit.id"],
            name=op.f("fk_concurrency_lease_limit_limit_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lease_id", "limit_id", name=op.f("pk_concurrency_lease_limit")),
    )
    op.create_index(
        op.f("ix_concurrency_lease_limit_limit_id"),
        "concurrency_lease_limit",
        ["limit_id"],
        unique=False,
    )
    op.create_table(
        "work_queue",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("last_polled", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pool.id"],
            name=op.f("fk_work_queue_work_pool_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queue")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_work_queue_work_pool_id_name")),
    )
    op.create_table(
        "worker",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_heartbeat_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_pool_id"],
            ["work_pool.id"],
            name=op.f("fk_worker_work_pool_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_worker_work_pool_id_name")),
    )
    op.create_index(
        op.f("ix_worker_last_heartbeat_time"), "worker", ["last_heartbeat_time"], unique=False
    )
    op.create_table(
        "deployment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(length=255), nullable=True),
        sa.Column(
            "version_info", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("last_polled", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "parameters", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "parameter_openapi_schema",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("enforce_parameter_schema", sa.Boolean(), nullable=False),
        sa.Column(
            "job_variables",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column(
            "labels", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("entrypoint", sa.Text(), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column(
            "pull_steps", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("work_queue_id", sa.Uuid(), nullable=True),
        sa.Column("work_queue_name", sa.String(length=255), nullable=True),
        sa.Column("concurrency_limit_id", sa.Uuid(), nullable=True),
        sa.Column(
            "concurrency_options",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=True,
        ),
        sa.Column("storage_document_id", sa.Uuid(), nullable=True),
        sa.Column("infrastructure_document_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["concurrency_limit_id"],
            ["concurrency_limit.id"],
            name=op.f("fk_deployment_concurrency_limit_id"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flow.id"], name=op.f("fk_deployment_flow_id"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["work_queue_id"],
            ["work_queue.id"],
            name=op.f("fk_deployment_work_queue_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
        sa.UniqueConstraint("flow_id", "name", name=op.f("uq_deployment_flow_id_name")),
    )
    op.create_index(op.f("ix_deployment_flow_id"), "deployment", ["flow_id"], unique=False)
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.create_index(
            "ix_deployment_name_trgm",
            "deployment",
            ["name"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.create_index(
        op.f("ix_deployment_work_queue_id"), "deployment", ["work_queue_id"], unique=False
    )
    op.create_table(
        "deployment_schedule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column(
            "schedule", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("max_scheduled_runs", sa.Integer(), nullable=True),
        sa.Column(
            "parameters", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("slug", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_schedule_deployment_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_schedule")),
    )
    op.create_index(
        op.f("ix_deployment_schedule_deployment_id"),
        "deployment_schedule",
        ["deployment_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_deployment_schedule_deployment_id"), table_name="deployment_schedule")
    op.drop_table("deployment_schedule")
    op.drop_index(op.f("ix_deployment_work_queue_id"), table_name="deployment")
    if op.get_context().dialect.name == "postgresql":  # trigram and GIN indexes
        op.drop_index(
            "ix_deployment_name_trgm",
            table_name="deployment",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        )
    op.drop_index(op.f("ix_deployment_flow_id"), table_name="deployment")
    op.drop_table("deployment")
    op.drop_index(op.f("ix_worker_last_heartbeat_time"), table_name="worker")
    op.drop_table("worker")
    op.drop_table("work_queue")
    op.drop_index(op.f("ix_concurrency_lease_limit_limit_id"), table_name="concurrency_lease_limit")
    op.drop_table("concurrency_lease_limit")
    op.drop_table("work_pool")
    op.drop_table("flow")
    op.drop_table("concurrency_limit")
    op.drop_index(op.f("ix_concurrency_lease_expires_at"), table_name="concurrency_lease")
    op.drop_table("concurrency_lease")
