"""Block documents: create (409 on a taken name), read, change, delete, list and count.

Data is encrypted at rest; secrets read as `********` unless `include_secrets` is asked for,
and stars sent back in an update keep the stored secret.
"""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from api.routes.block_types import include_secrets
from models.blocks.documents import (
    count_block_documents,
    create_block_document,
    delete_block_document,
    filter_block_documents,
    read_block_document,
    update_block_document,
)
from models.blocks.encryption import block_key_for
from models.filters.blocks import BlockDocumentCountBody, BlockDocumentFilterBody
from models.schemas.blocks import BlockDocumentCreate, BlockDocumentResponse, BlockDocumentUpdate

routes = web.RouteTableDef()

TAG = "Block documents"


@routes.post("/api/block_documents/")
@documented("Store a block document; 409 when its block type has one of that name.", tag=TAG,
            body=BlockDocumentCreate, response=BlockDocumentResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BlockDocumentCreate)
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].sessions.begin() as session:
        document = await create_block_document(session, body, block_key)
    return json_model(document, status=201)


@routes.get(f"/api/block_documents/{ID}")
@documented("A block document by id.", tag=TAG, response=BlockDocumentResponse,
            query={"include_secrets": "true: secrets in clear"})  # fmt: skip
async def read(request: web.Request) -> web.Response:
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        document = await read_block_document(
            session, path_uuid(request), block_key, include_secrets=include_secrets(request)
        )
    return json_model(document)


@routes.patch(f"/api/block_documents/{ID}")
@documented("Change a block document's data (merged by default) or schema.", tag=TAG,
            body=BlockDocumentUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    body = await read_body(request, BlockDocumentUpdate)
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].sessions.begin() as session:
        await update_block_document(session, path_uuid(request), body, block_key)
    return no_content()


@routes.delete(f"/api/block_documents/{ID}")
@documented("Delete a block document.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_block_document(session, path_uuid(request))
    return no_content()


@routes.post("/api/block_documents/filter")
@documented("Block documents matching a filter (anonymous ones only when asked for).", tag=TAG,
            body=BlockDocumentFilterBody, response=BlockDocumentResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, BlockDocumentFilterBody)
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        documents = await filter_block_documents(session, body, block_key)
    return json_models(documents, BlockDocumentResponse)


@routes.post("/api/block_documents/count")
@documented("How many block documents match a filter (a bare integer).", tag=TAG,
            body=BlockDocumentCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, BlockDocumentCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_block_documents(session, body)
    return json_value(total)
