"""Stores: block types, schemas, documents and references; variables; artifacts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:56:23.178726
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "artifact",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=True),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact")),
    )
    op.create_index(op.f("ix_artifact_flow_run_id"), "artifact", ["flow_run_id"], unique=False)
    op.create_index("ix_artifact_key_created", "artifact", ["key", "created"], unique=False)
    op.create_index(op.f("ix_artifact_task_run_id"), "artifact", ["task_run_id"], unique=False)
    op.create_table(
        "artifact_collection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("latest_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column(
            "metadata", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifact_collection")),
        sa.UniqueConstraint("key", name=op.f("uq_artifact_collection_key")),
    )
    op.create_table(
        "block_type",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=255), nullable=False),
        sa.Column("logo_url", sa.Text(), nullable=True),
        sa.Column("documentation_url", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("code_example", sa.Text(), nullable=True),
        sa.Column("is_protected", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_type")),
        sa.UniqueConstraint("name", name=op.f("uq_block_type_name")),
        sa.UniqueConstraint("slug", name=op.f("uq_block_type_slug")),
    )
    op.create_table(
        "variable",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("tags", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variable")),
        sa.UniqueConstraint("name", name=op.f("uq_variable_name")),
    )
    op.create_table(
        "block_schema",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checksum", sa.String(length=255), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column(
            "fields", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "capabilities", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("block_type_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_type_id"],
            ["block_type.id"],
            name=op.f("fk_block_schema_block_type_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_schema")),
        sa.UniqueConstraint("checksum", "version", name=op.f("uq_block_schema_checksum_version")),
    )
    op.create_index(
        op.f("ix_block_schema_block_type_id"), "block_schema", ["block_type_id"], unique=False
    )
    op.create_index(op.f("ix_block_schema_checksum"), "block_schema", ["checksum"], unique=False)
    op.create_table(
        "block_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("encrypted_data", sa.Text(), nullable=False),
        sa.Column("block_schema_id", sa.Uuid(), nullable=False),
        sa.Column("block_type_id", sa.Uuid(), nullable=False),
        sa.Column("block_type_name", sa.String(length=255), nullable=True),
        sa.Column("is_anonymous", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["block_schema_id"],
            ["block_schema.id"],
            name=op.f("fk_block_document_block_schema_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["block_type_id"],
            ["block_type.id"],
            name=op.f("fk_block_document_block_type_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_document")),
        sa.UniqueConstraint(
            "block_type_id", "name", name=op.f("uq_block_document_block_type_id_name")
        ),
    )
    op.create_index(
        op.f("ix_block_document_is_anonymous"), "block_document", ["is_anonymous"], unique=False
    )
    op.create_table(
        "block_document_reference",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_block_document_id", sa.Uuid(), nullable=False),
        sa.Column("reference_block_document_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_block_document_id"],
            ["block_document.id"],
            name=op.f("fk_block_document_reference_parent_block_document_id"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reference_block_document_id"],
            ["block_document.id"],
            name=op.f("fk_block_document_reference_reference_block_document_id"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_document_reference")),
        sa.UniqueConstraint(
            "parent_block_document_id",
            "name",
            name=op.f("uq_block_document_reference_parent_block_document_id_name"),
        ),
    )
    op.create_index(
        op.f("ix_block_document_reference_reference_block_document_id"),
        "block_document_reference",
        ["reference_block_document_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_block_document_reference_reference_block_document_id"),
        table_name="block_document_reference",
    )
    op.drop_table("block_document_reference")
    op.drop_index(op.f("ix_block_document_is_anonymous"), table_name="block_document")
    op.drop_table("block_document")
    op.drop_index(op.f("ix_block_schema_checksum"), table_name="block_schema")
    op.drop_index(op.f("ix_block_schema_block_type_id"), table_name="block_schema")
    op.drop_table("block_schema")
    op.drop_table("variable")
    op.drop_table("block_type")
    op.drop_table("artifact_collection")
    op.drop_index(op.f("ix_artifact_task_run_id"), table_name="artifact")
    op.drop_index("ix_artifact_key_created", table_name="artifact")
    op.drop_index(op.f("ix_artifact_flow_run_id"), table_name="artifact")
    op.drop_table("artifact")
