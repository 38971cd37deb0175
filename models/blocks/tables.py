"""Blocks: typed, stored configuration and secrets, with their schemas and references."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db.base import Base, Created, Id, Name, Updated


class BlockType(Base):
    """A kind of block (`slack-webhook`, `secret`, a user's own class), known by its slug."""

    __tablename__ = "block_type"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)
    logo_url: Mapped[str | None] = mapped_column(Text)
    documentation_url: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    code_example: Mapped[str | None] = mapped_column(Text)
    is_protected: Mapped[bool] = mapped_column(default=False)


class BlockSchema(Base):
    """One version of a block type's fields, identified by the checksum of its JSON schema."""

    __tablename__ = "block_schema"
    __table_args__ = (UniqueConstraint("checksum", "version"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    checksum: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[str] = mapped_column(String(64), default="non-versioned")
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    capabilities: Mapped[list[str]] = mapped_column(default=list)
    block_type_id: Mapped[UUID] = mapped_column(
        ForeignKey("block_type.id", ondelete="CASCADE"), index=True
    )

    # Loaded with the schema: every answer about a schema nests its block type.
    block_type: Mapped[BlockType] = relationship(lazy="selectin")


class BlockDocument(Base):
    """A stored block: its data is encrypted at rest, secrets and all."""

    __tablename__ = "block_document"
    __table_args__ = (UniqueConstraint("block_type_id", "name"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name]
    #: Encrypted token (models/blocks/encryption.py) of the document's JSON data.
    encrypted_data: Mapped[str] = mapped_column(Text)
    block_schema_id: Mapped[UUID] = mapped_column(ForeignKey("block_schema.id", ondelete="CASCADE"))
    block_type_id: Mapped[UUID] = mapped_column(ForeignKey("block_type.id", ondelete="CASCADE"))
    block_type_name: Mapped[str | None] = mapped_column(String(255))
    is_anonymous: Mapped[bool] = mapped_column(default=False, index=True)


class BlockDocumentReference(Base):
    """A field of one block document that points at another document."""

    __tablename__ = "block_document_reference"
    __table_args__ = (UniqueConstraint("parent_block_document_id", "name"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name]
    parent_block_document_id: Mapped[UUID] = mapped_column(
        ForeignKey("block_document.id", ondelete="CASCADE")
    )
    reference_block_document_id: Mapped[UUID] = mapped_column(
        ForeignKey("block_document.id", ondelete="CASCADE"), index=True
    )
