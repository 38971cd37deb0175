"""Block types: register, read by id or slug, change, delete, list; and their documents by name.

The nine notification block types are registered the first time something looks for block
types (a Prefect client asks for its slug before saving a block), so no set-up step is
needed, and `POST /api/block_types/install_system_block_types` registers them explicitly.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select

from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.blocks.catalog import (
    ProtectedBlockType,
    create_block_type,
    delete_block_type,
    read_block_type,
    read_block_type_by_slug,
)
from models.blocks.documents import read_block_document_by_name, read_block_documents
from models.blocks.encryption import fernet_for
from models.blocks.tables import BlockDocument, BlockType
from models.db.database import Database
from models.db.types import utcnow
from models.filters.blocks import BlockDocumentSort, BlockTypeFilterBody
from models.notifications.block_types import (
    notification_block_types_registered,
    register_notification_block_types,
)
from models.notifications.channels import CHANNEL_FOR_BLOCK_TYPE
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


async def ensure_notification_block_types(database: Database) -> None:
    """Register the nine notification block types unless they are all there already."""
    async with database.read_sessions() as session:
        if await notification_block_types_registered(session):
            return
    async with database.sessions.begin() as session:
        await register_notification_block_types(session)


@routes.post("/api/block_types/")
@documented("Register a block type; 409 when its name or slug is taken.", tag=TAG,
            body=BlockTypeCreate, response=BlockTypeResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, BlockTypeCreate)
    if body.name.lower().startswith("prefect"):
        raise web.HTTPForbidden(reason="Block type names beginning with 'Prefect' are reserved.")
    async with request.app[keys.database].sessions.begin() as session:
        block_type = await create_block_type(session, body)
    return json_model(BlockTypeResponse.model_validate(block_type), status=201)


@routes.post("/api/block_types/install_system_block_types")
@documented("Register the nine notification block types (safe to repeat).", tag=TAG)
async def install_system_block_types(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await register_notification_block_types(session)
    return json_value(None)


@routes.get("/api/block_types/{id}")
@documented("A block type by id.", tag=TAG, response=BlockTypeResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        block_type = await read_block_type(session, path_uuid(request))
    return json_model(BlockTypeResponse.model_validate(block_type))


@routes.get("/api/block_types/slug/{slug}")
@documented("A block type by slug.", tag=TAG, response=BlockTypeResponse)
async def read_by_slug(request: web.Request) -> web.Response:
    slug = request.match_info["slug"]
    database = request.app[keys.database]
    if slug in CHANNEL_FOR_BLOCK_TYPE:
        await ensure_notification_block_types(database)
    async with database.read_sessions() as session:
        block_type = await read_block_type_by_slug(session, slug)
    return json_model(BlockTypeResponse.model_validate(block_type))


@routes.patch("/api/block_types/{id}")
@documented("Change a block type's logo, documentation, description or example.", tag=TAG,
            body=BlockTypeUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, BlockTypeUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        block_type = await read_block_type(session, path_uuid(request))
        # Only a real change is written: clients send this for every block they save.
        if any(getattr(block_type, column) != value for column, value in changes.items()):
            for column, value in changes.items():
                setattr(block_type, column, value)
            block_type.updated = utcnow()
    return no_content()


@routes.delete("/api/block_types/{id}")
@documented("Delete a block type with its schemas and documents (not a protected one).",
            tag=TAG, status=204)  # fmt: skip
async def remove(request: web.Request) -> web.Response:
    try:
        async with request.app[keys.database].sessions.begin() as session:
            await delete_block_type(session, path_uuid(request))
    except ProtectedBlockType as refused:
        raise web.HTTPForbidden(reason=refused.detail) from None
    return no_content()


@routes.post("/api/block_types/filter")
@documented("Block types matching a filter, by name.", tag=TAG, body=BlockTypeFilterBody,
            response=BlockTypeResponse, response_is_list=True)  # fmt: skip
async def filter_block_types(request: web.Request) -> web.Response:
    body = await read_body(request, BlockTypeFilterBody)
    database = request.app[keys.database]
    await ensure_notification_block_types(database)
    async with database.read_sessions() as session:
        dialect = session.get_bind().dialect.name
        found = await session.scalars(body.apply(select(BlockType), dialect))
        block_types = [BlockTypeResponse.model_validate(row) for row in found]
    return json_models(block_types, BlockTypeResponse)


@routes.get("/api/block_types/slug/{slug}/block_documents")
@documented("Every named block document of a block type.", tag=TAG,
            response=BlockDocumentResponse, response_is_list=True,
            query={"include_secrets": "true: secrets in clear"})  # fmt: skip
async def read_documents_of_type(request: web.Request) -> web.Response:
    fernet = fernet_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        block_type = await read_block_type_by_slug(session, request.match_info["slug"])
        documents = await read_block_documents(
            session,
            (BlockDocument.block_type_id == block_type.id) & BlockDocument.is_anonymous.is_(False),
            order_by=BlockDocumentSort.NAME_ASC.order_by(),
            fernet=fernet,
            include_secrets=include_secrets(request),
        )
    return json_models(documents, BlockDocumentResponse)


@routes.get("/api/block_types/slug/{slug}/block_documents/name/{name}")
@documented("A block document by its block type's slug and its name.", tag=TAG,
            response=BlockDocumentResponse,
            query={"include_secrets": "true: secrets in clear"})  # fmt: skip
async def read_document_by_name(request: web.Request) -> web.Response:
    fernet = fernet_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        document = await read_block_document_by_name(
            session,
            request.match_info["slug"],
            request.match_info["name"],
            fernet,
            include_secrets=include_secrets(request),
        )
    return json_model(document)
