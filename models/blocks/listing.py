"""Block documents as a list shows them: name, block type and times, never their data.

A list of documents needs no decryption and no references: reading each document whole
(`filter_block_documents`) would decrypt every one only to show its name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from sqlalchemy import Select, select

from models.blocks.tables import BlockDocument, BlockType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.blocks import BlockDocumentFilterBody


@dataclass(frozen=True)
class BlockDocumentSummary:
    """One block document in a list."""

    id: UUID
    name: str
    block_type_name: str
    block_type_slug: str
    created: datetime
    updated: datetime


async def list_block_document_summaries(
    session: AsyncSession, body: BlockDocumentFilterBody
) -> list[BlockDocumentSummary]:
    """The documents a filter body matches, in its order and page, without their data."""
    dialect = session.get_bind().dialect.name
    summaries = select(
        BlockDocument.id,
        BlockDocument.name,
        BlockType.name.label("block_type_name"),
        BlockType.slug.label("block_type_slug"),
        BlockDocument.created,
        BlockDocument.updated,
    ).join(BlockType, BlockType.id == BlockDocument.block_type_id)
    # Typed loosely: the filter bodies page any SELECT.
    rows = await session.execute(body.apply(cast("Select[Any]", summaries), dialect))
    return [BlockDocumentSummary(**row._mapping) for row in rows]


async def list_block_types_in_use(session: AsyncSession) -> list[tuple[str, str]]:
    """(slug, name) of every block type that has a named document, by name: the choices of
    a filter by type."""
    used = select(BlockDocument.block_type_id).where(BlockDocument.is_anonymous.is_(False))
    rows = await session.execute(
        select(BlockType.slug, BlockType.name)
        .where(BlockType.id.in_(used))
        .order_by(BlockType.name.asc())
    )
    return [(slug, name) for slug, name in rows]
