"""Block types: register, read by id or slug, change, delete, list; and their documents by name.

The block catalog (Prefect's block types and schemas) is registered when the API starts (see
`api.app`), so no set-up step is needed; `POST /api/block_types/install_system_block_types`
registers it again, as Prefect's CLI asks.
"""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.blocks.catalog import (
    create_block_type,
    delete_block_type,
    filter_block_types,
    read_block_type,
    read_block_type_by_slug,
    update_block_type,
)
from models.blocks.documents import read_block_document_by_name, read_named_block_documents
from models.blocks.encryption import block_key_for
from models.blocks.registration import register_block_catalog
from models.db.types import utcnow
from models.filters.blocks import BlockTypeFilterBody
from models.schemas.blocks import (
    BlockDocumentResponse,
    BlockTypeCreate,
    BlockTypeResponse,
    BlockTypeUpdate,
)

routes = web.RouteTableDef()

TAG = "Block types"


def include_secrets(request: web.Request) -> bool:
    """The `include_secrets` query parameter (false unless `true`)."""
    return request.query.get("include_secrets", "false").lower() in {"true", "1", "yes"}


@routes.post("/api/block_types/")
@documented("Register a block type; 409 when its name or slug is taken.", tag=TAG,
            body=BlockTypeCreate, response=BlockTypeResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BlockTypeCreate)
    async with request.app[keys.database].sessions.begin() as session:
        block_type = await create_block_type(session, body)
    return json_model(BlockTypeResponse.model_validate(block_type), status=201)


@routes.post("/api/block_types/install_system_block_types")
@documented("Register the block catalog again (safe to repeat).", tag=TAG)
async def install_system_block_types(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await register_block_catalog(session)
    return json_value(None)


@routes.get(f"/api/block_types/{ID}")
@documented("A block type by id.", tag=TAG, response=BlockTypeResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        block_type = await read_block_type(session, path_uuid(request))
    return json_model(BlockTypeResponse.model_validate(block_type))


@routes.get("/api/block_types/slug/{slug}")
@documented("A block type by slug.", tag=TAG, response=BlockTypeResponse)
async def read_by_slug(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        block_type = await read_block_type_by_slug(session, request.match_info["slug"])
    return json_model(BlockTypeResponse.model_validate(block_type))


@routes.patch(f"/api/block_types/{ID}")
@documented("Change a block type's logo, documentation, description or example.", tag=TAG,
            body=BlockTypeUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, BlockTypeUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_block_type(session, path_uuid(request), changes, utcnow())
    return no_content()


@routes.delete(f"/api/block_types/{ID}")
@documented("Delete a block type with its schemas and documents (not a protected one).",
            tag=TAG, status=204)  # fmt: skip
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_block_type(session, path_uuid(request))
    return no_content()


@routes.post("/api/block_types/filter")
@documented("Block types matching a filter, by name.", tag=TAG, body=BlockTypeFilterBody,
            response=BlockTypeResponse, response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, BlockTypeFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        block_types = await filter_block_types(session, body)
    responses = [BlockTypeResponse.model_validate(row) for row in block_types]
    return json_models(responses, BlockTypeResponse)


@routes.get("/api/block_types/slug/{slug}/block_documents")
@documented("Every named block document of a block type.", tag=TAG,
            response=BlockDocumentResponse, response_is_list=True,
            query={"include_secrets": "true: secrets in clear"})  # fmt: skip
async def read_documents_of_type(request: web.Request) -> web.Response:
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        documents = await read_named_block_documents(
            session, request.match_info["slug"], block_key, include_secrets=include_secrets(request)
        )
    return json_models(documents, BlockDocumentResponse)


@routes.get("/api/block_types/slug/{slug}/block_documents/name/{name}")
@documented("A block document by its block type's slug and its name.", tag=TAG,
            response=BlockDocumentResponse,
            query={"include_secrets": "true: secrets in clear"})  # fmt: skip
async def read_document_by_name(request: web.Request) -> web.Response:
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        document = await read_block_document_by_name(
            session,
            request.match_info["slug"],
            request.match_info["name"],
            block_key,
            include_secrets=include_secrets(request),
        )
    return json_model(document)
