"""Block types and their schemas: registering, finding and listing them.

Prefect's own catalog is registered as the API starts (`models.blocks.registration`). Clients
register the classes it lacks themselves: `GET /block_types/slug/{slug}` and then
`POST /block_types/` when it is missing; `GET /block_schemas/checksum/{checksum}` and then
`POST /block_schemas/`. Both creates are therefore safe to repeat.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import delete, select

from models.blocks.checksums import block_schema_checksum
from models.blocks.tables import BlockSchema, BlockType
from models.db.dialect import dialect_insert
from models.db.types import utcnow
from models.errors import Forbidden, ObjectAlreadyExists, ObjectNotFound
from models.filters.base import list_matching

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.blocks import BlockSchemaFilterBody, BlockTypeFilterBody
    from models.schemas.blocks import BlockSchemaCreate, BlockTypeCreate

#: Names a client may not give its own block types: Prefect's own system types use them.
RESERVED_NAME_PREFIX: Final = "prefect"


async def create_block_type(session: AsyncSession, body: BlockTypeCreate) -> BlockType:
    """A new block type; raises ObjectAlreadyExists when its name or slug is taken, and
    Forbidden for a name beginning with "Prefect"."""
    if body.name.lower().startswith(RESERVED_NAME_PREFIX):
        raise Forbidden("Block type names beginning with 'Prefect' are reserved.")
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


async def update_block_type(
    session: AsyncSession, block_type_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    """Set the columns in `changes`; raises ObjectNotFound."""
    block_type = await read_block_type(session, block_type_id)
    # Only a real change is written: clients send this for every block they save.
    if any(getattr(block_type, column) != value for column, value in changes.items()):
        for column, value in changes.items():
            setattr(block_type, column, value)
        block_type.updated = now


async def filter_block_types(session: AsyncSession, body: BlockTypeFilterBody) -> list[BlockType]:
    """The block types matching a filter body, by name, paged."""
    return await list_matching(session, select(BlockType), body)


async def delete_block_type(session: AsyncSession, block_type_id: UUID) -> None:
    """Delete a block type with its schemas and documents; protected types are Forbidden."""
    block_type = await read_block_type(session, block_type_id)
    if block_type.is_protected:
        raise Forbidden("protected block types cannot be deleted.")
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
    """Delete a schema (and the documents written with it); protected types' are Forbidden."""
    schema = await read_block_schema(session, block_schema_id)
    if schema.block_type.is_protected:
        raise Forbidden("Block schemas for protected block types cannot be deleted.")
    await session.execute(delete(BlockSchema).where(BlockSchema.id == block_schema_id))


async def filter_block_schemas(
    session: AsyncSession, body: BlockSchemaFilterBody
) -> list[BlockSchema]:
    """The block schemas matching a filter body, newest first, paged."""
    return await list_matching(session, select(BlockSchema), body)


async def read_block_types_by_id(
    session: AsyncSession, block_type_ids: set[UUID]
) -> dict[UUID, BlockType]:
    """The block types with those ids, by id (for answers that nest each schema's type)."""
    if not block_type_ids:
        return {}
    rows = await session.scalars(select(BlockType).where(BlockType.id.in_(block_type_ids)))
    return {row.id: row for row in rows}
