"""Block schemas: register (the checksum is computed as the client computes it), read by id
or checksum, delete, list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy import select

from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models, no_content
from api.routes.block_types import ensure_notification_block_types
from models.blocks.catalog import (
    ProtectedBlockType,
    create_block_schema,
    delete_block_schema,
    read_block_schema,
    read_block_schema_by_checksum,
    read_block_types_by_id,
)
from models.blocks.tables import BlockSchema
from models.filters.blocks import BlockSchemaFilterBody
from models.schemas.blocks import BlockSchemaCreate, BlockSchemaResponse, BlockTypeResponse

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

routes = web.RouteTableDef()

TAG = "Block schemas"


async def describe_schemas(
    session: AsyncSession, schemas: list[BlockSchema]
) -> list[BlockSchemaResponse]:
    """Responses with each schema's block type nested, as the client reads them."""
    types = await read_block_types_by_id(session, {schema.block_type_id for schema in schemas})
    return [
        BlockSchemaResponse.model_validate(schema).model_copy(
            update={
                "block_type": BlockTypeResponse.model_validate(types[schema.block_type_id])
                if schema.block_type_id in types
                else None
            }
        )
        for schema in schemas
    ]


@routes.post("/api/block_schemas/")
@documented("Register a block schema (201), or return the one with its checksum (200).",
            tag=TAG, body=BlockSchemaCreate, response=BlockSchemaResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BlockSchemaCreate)
    async with request.app[keys.database].sessions.begin() as session:
        schema, created = await create_block_schema(session, body)
        [response] = await describe_schemas(session, [schema])
    return json_model(response, status=201 if created else 200)


@routes.get("/api/block_schemas/{id}")
@documented("A block schema by id.", tag=TAG, response=BlockSchemaResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        schema = await read_block_schema(session, path_uuid(request))
        [response] = await describe_schemas(session, [schema])
    return json_model(response)


@routes.get("/api/block_schemas/checksum/{checksum}")
@documented("A block schema by checksum (and version; without one, the newest).", tag=TAG,
            response=BlockSchemaResponse, query={"version": "the schema's version"})  # fmt: skip
async def read_by_checksum(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        schema = await read_block_schema_by_checksum(
            session, request.match_info["checksum"], request.query.get("version")
        )
        [response] = await describe_schemas(session, [schema])
    return json_model(response)


@routes.delete("/api/block_schemas/{id}")
@documented("Delete a block schema (not one of a protected block type).", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    try:
        async with request.app[keys.database].sessions.begin() as session:
            await delete_block_schema(session, path_uuid(request))
    except ProtectedBlockType as refused:
        raise web.HTTPForbidden(reason=refused.detail) from None
    return no_content()


@routes.post("/api/block_schemas/filter")
@documented("Block schemas matching a filter, newest first.", tag=TAG, body=BlockSchemaFilterBody,
            response=BlockSchemaResponse, response_is_list=True)  # fmt: skip
async def filter_block_schemas(request: web.Request) -> web.Response:
    body = await read_body(request, BlockSchemaFilterBody)
    database = request.app[keys.database]
    await ensure_notification_block_types(database)
    async with database.read_sessions() as session:
        dialect = session.get_bind().dialect.name
        schemas = list(await session.scalars(body.apply(select(BlockSchema), dialect)))
        responses = await describe_schemas(session, schemas)
    return json_models(responses, BlockSchemaResponse)
