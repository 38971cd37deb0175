"""Block schemas: register (the checksum is computed as the client computes it), read by id
or checksum, delete, list."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, no_content
from models.blocks.catalog import (
    create_block_schema,
    delete_block_schema,
    filter_block_schemas,
    read_block_schema,
    read_block_schema_by_checksum,
)
from models.filters.blocks import BlockSchemaFilterBody
from models.schemas.blocks import BlockSchemaCreate, BlockSchemaResponse

routes = web.RouteTableDef()

TAG = "Block schemas"


@routes.post("/api/block_schemas/")
@documented("Register a block schema (201), or return the one with its checksum (200).",
            tag=TAG, body=BlockSchemaCreate, response=BlockSchemaResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BlockSchemaCreate)
    async with request.app[keys.database].sessions.begin() as session:
        schema, created = await create_block_schema(session, body)
    return json_model(BlockSchemaResponse.model_validate(schema), status=201 if created else 200)


@routes.get(f"/api/block_schemas/{ID}")
@documented("A block schema by id.", tag=TAG, response=BlockSchemaResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        schema = await read_block_schema(session, path_uuid(request))
    return json_model(BlockSchemaResponse.model_validate(schema))


@routes.get("/api/block_schemas/checksum/{checksum}")
@documented("A block schema by checksum (and version; without one, the newest).", tag=TAG,
            response=BlockSchemaResponse, query={"version": "the schema's version"})  # fmt: skip
async def read_by_checksum(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        schema = await read_block_schema_by_checksum(
            session, request.match_info["checksum"], request.query.get("version")
        )
    return json_model(BlockSchemaResponse.model_validate(schema))


@routes.delete(f"/api/block_schemas/{ID}")
@documented("Delete a block schema (not one of a protected block type).", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_block_schema(session, path_uuid(request))
    return no_content()


@routes.post("/api/block_schemas/filter")
@documented("Block schemas matching a filter, newest first.", tag=TAG, body=BlockSchemaFilterBody,
            response=BlockSchemaResponse, response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, BlockSchemaFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        schemas = await filter_block_schemas(session, body)
    responses = [BlockSchemaResponse.model_validate(schema) for schema in schemas]
    return json_models(responses, BlockSchemaResponse)
