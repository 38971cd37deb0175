"""Registering the block catalog, idempotently, as every API process starts.

The catalog is Prefect 3.9.1's (`models.blocks.prefect_catalog`) plus Signalbox's own schema
versions, so `prefect block type ls` lists what it lists on Prefect's server and a client
saving a `Secret` or a `SlackWebhook` finds its type and schema instead of registering them.

Ids are derived from each type's slug and each schema's checksum and version, so every process
and every database names them the same way. Registering again changes nothing that already
matches; two API processes starting together are harmless (every insert skips conflicts).
A type a client registered first under a catalog slug keeps its id and gets the catalog's
description, links, example and protection, as Prefect's server does on start.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from sqlalchemy import select, tuple_, update

from models.blocks.prefect_catalog import CatalogBlockSchema, CatalogBlockType, prefect_catalog
from models.blocks.tables import BlockSchema, BlockType
from models.db.dialect import dialect_insert
from models.db.types import utcnow
from models.notifications.block_types import SIGNED_WEBHOOK_SLUG, signed_webhook_schema

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The namespace of the registered types' and schemas' ids.
BLOCK_TYPE_NAMESPACE: Final = UUID("6b1f6a52-3c1e-4f61-9d55-2f0f5c0e9a11")

#: What registration keeps in line with the catalog on a type that already exists.
MAINTAINED_COLUMNS: Final = (
    "logo_url",
    "documentation_url",
    "description",
    "code_example",
    "is_protected",
)


def block_type_id(slug: str) -> UUID:
    """The id a catalog block type gets in every database."""
    return uuid5(BLOCK_TYPE_NAMESPACE, f"block-type:{slug}")


def block_schema_id(checksum: str, version: str) -> UUID:
    """The id a catalog block schema gets in every database."""
    return uuid5(BLOCK_TYPE_NAMESPACE, f"block-schema:{checksum}:{version}")


def catalog_block_types() -> list[CatalogBlockType]:
    """Every block type registered at start, in registration order."""
    return prefect_catalog().block_types


@functools.cache
def catalog_block_schemas() -> tuple[CatalogBlockSchema, ...]:
    """Every block schema registered at start, in registration order.

    Signalbox's signed custom webhook comes right after Prefect's version, so that it is the
    newest schema of its type: the one a form or a listing offers first.
    """
    schemas: list[CatalogBlockSchema] = []
    for schema in prefect_catalog().block_schemas:
        schemas.append(schema)
        if schema.block_type_slug == SIGNED_WEBHOOK_SLUG:
            schemas.append(signed_webhook_schema(schema))
    return tuple(schemas)


async def register_block_catalog(session: AsyncSession) -> None:
    """Insert the catalog's types and schemas where missing; safe to run any number of times."""
    now = utcnow()
    type_ids = await register_catalog_block_types(session, now)
    await register_catalog_block_schemas(session, type_ids, now)


async def register_catalog_block_types(session: AsyncSession, now: datetime) -> dict[str, UUID]:
    """Insert the missing types, bring the others in line; every catalog slug's id."""
    types = catalog_block_types()
    slugs = [entry.slug for entry in types]
    existing = {
        row.slug: row
        for row in await session.scalars(select(BlockType).where(BlockType.slug.in_(slugs)))
    }
    missing = [
        {
            "id": block_type_id(entry.slug),
            # One microsecond apart: the catalog's order is the order it was registered in.
            "created": now + timedelta(microseconds=position),
            "updated": now,
            **entry.model_dump(),
        }
        for position, entry in enumerate(types)
        if entry.slug not in existing
    ]
    if missing:
        await session.execute(
            dialect_insert(session, BlockType).values(missing).on_conflict_do_nothing()
        )
    for entry in types:
        row = existing.get(entry.slug)
        if row is not None and (changes := differences(row, entry)):
            await session.execute(
                update(BlockType).where(BlockType.id == row.id).values(updated=now, **changes)
            )
    rows = await session.execute(
        select(BlockType.slug, BlockType.id).where(BlockType.slug.in_(slugs))
    )
    return {slug: type_id for slug, type_id in rows.all()}


def differences(row: BlockType, entry: CatalogBlockType) -> dict[str, Any]:
    """The maintained columns where a stored type differs from the catalog's."""
    wanted = entry.model_dump(include=set(MAINTAINED_COLUMNS))
    return {column: value for column, value in wanted.items() if getattr(row, column) != value}


async def register_catalog_block_schemas(
    session: AsyncSession, type_ids: dict[str, UUID], now: datetime
) -> None:
    """Insert the schemas no row has yet (by checksum and version)."""
    schemas = catalog_block_schemas()
    keys = [(schema.checksum, schema.version) for schema in schemas]
    rows = await session.execute(
        select(BlockSchema.checksum, BlockSchema.version).where(
            tuple_(BlockSchema.checksum, BlockSchema.version).in_(keys)
        )
    )
    present = {(checksum, version) for checksum, version in rows.all()}
    missing = [
        {
            "id": block_schema_id(schema.checksum, schema.version),
            "created": now + timedelta(microseconds=position),
            "updated": now,
            "checksum": schema.checksum,
            "version": schema.version,
            "fields": schema.fields,
            "capabilities": schema.capabilities,
            "block_type_id": type_ids[schema.block_type_slug],
        }
        for position, schema in enumerate(schemas)
        if (schema.checksum, schema.version) not in present
    ]
    if missing:
        await session.execute(
            dialect_insert(session, BlockSchema)
            .values(missing)
            .on_conflict_do_nothing(index_elements=["checksum", "version"])
        )
