"""Block types and their schemas: registering, finding and listing them.

Clients register what they need themselves: `GET /block_types/slug/{slug}` and then
`POST /block_types/` when it is missing; `GET /block_schemas/checksum/{checksum}` and then
`POST /block_schemas/`. Both creates are therefore safe to repeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from sqlalchemy import delete, select

from models.blocks.checksums import block_schema_checksum
from models.blocks.tables import BlockSchema, BlockType
from models.db.dialect import dialect_insert
from models.db.types import utcnow
from models.errors import ObjectAlreadyExists, ObjectNotFound, SignalboxError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.blocks import BlockSchemaCreate, BlockTypeCreate


class ProtectedBlockType(SignalboxError):
    """Protected block types cannot be deleted."""


async def create_block_type(session: AsyncSession, body: BlockTypeCreate) -> BlockType:
    """A new block type; raises ObjectAlreadyExists when its name or slug is taken."""
    now = utcnow()
    inserted = await session.scalar(
        dialect_insert(session, BlockType)
        .values(id=uuid4(), created=now, updated=now, is_protected=False, **body.model_dump())
        .on_conflict_do_nothing()  # the name and the slug are each unique
        .returning(BlockType.id)
    )
    if inserted is None:
        raise ObjectAlreadyExists(f'Block type with name "{body.name}" already exists')
    return await read_block_type(session, inserted)


async def read_block_type(session: AsyncSession, block_type_id: UUID) -> BlockType:
    """The block type; raises ObjectNotFound."""
    block_type = await session.get(BlockType, block_type_id)
    if block_type is None:
        raise ObjectNotFound("Block type not found")
    return block_type


async def read_block_type_by_slug(session: AsyncSession, slug: str) -> BlockType:
    """The block type with that slug; raises ObjectNotFound."""
    block_type = await session.scalar(select(BlockType).where(BlockType.slug == slug))
    if block_type is None:
        raise ObjectNotFound("Block type not found")
    return block_type


async def delete_block_type(session: AsyncSession, block_type_id: UUID) -> None:
    """Delete a block type with its schemas and documents; protected types are refused."""
    block_type = await read_block_type(session, block_type_id)
    if block_type.is_protected:
        raise ProtectedBlockType("protected block types cannot be deleted.")
    await session.execute(delete(BlockType).where(BlockType.id == block_type_id))


async def create_block_schema(
    session: AsyncSession, body: BlockSchemaCreate
) -> tuple[BlockSchema, bool]:
    """The schema with the body's checksum and version, created if new; True when created.

    The checksum is the client's own, so a schema registered twice is found, not doubled.
    """
    await read_block_type(session, body.block_type_id)
    checksum = block_schema_checksum(body.fields)
    now = utcnow()
    inserted = await session.scalar(
        dialect_insert(session, BlockSchema)
        .values(
            id=uuid4(),
            created=now,
            updated=now,
            checksum=checksum,
            version=body.version,
            fields=body.fields,
            capabilities=body.capabilities,
            block_type_id=body.block_type_id,
        )
        .on_conflict_do_nothing(index_elements=["checksum", "version"])
        .returning(BlockSchema.id)
    )
    schema = await read_block_schema_by_checksum(session, checksum, body.version)
    return schema, inserted is not None


async def read_block_schema(session: AsyncSession, block_schema_id: UUID) -> BlockSchema:
    """The block schema; raises ObjectNotFound."""
    schema = await session.get(BlockSchema, block_schema_id)
    if schema is None:
        raise ObjectNotFound("Block schema not found")
    return schema


async def read_block_schema_by_checksum(
    session: AsyncSession, checksum: str, version: str | None = None
) -> BlockSchema:
    """The schema with that checksum (and version; without one, the newest); ObjectNotFound."""
    query = select(BlockSchema).where(BlockSchema.checksum == checksum)
    if version is not None:
        query = query.where(BlockSchema.version == version)
    schema = await session.scalar(query.order_by(BlockSchema.created.desc()).limit(1))
    if schema is None:
        raise ObjectNotFound("Block schema not found")
    return schema


async def delete_block_schema(session: AsyncSession, block_schema_id: UUID) -> None:
    """Delete a schema (and the documents written with it); protected types' are refused."""
    schema = await read_block_schema(session, block_schema_id)
    if (await read_block_type(session, schema.block_type_id)).is_protected:
        raise ProtectedBlockType("Block schemas for protected block types cannot be deleted.")
    await session.execute(delete(BlockSchema).where(BlockSchema.id == block_schema_id))


async def read_block_types_by_id(
    session: AsyncSession, block_type_ids: set[UUID]
) -> dict[UUID, BlockType]:
    """The block types with those ids, by id (for answers that nest each schema's type)."""
    if not block_type_ids:
        return {}
    rows = await session.scalars(select(BlockType).where(BlockType.id.in_(block_type_ids)))
    return {row.id: row for row in rows}
