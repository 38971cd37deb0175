"""`/blocks` and `/blocks/block/<id>`: the stored block documents, and one with its fields.

Documents are read as the API reads them without `include_secrets`: a secret reaches the page
as stars, never as its value. The list reads names and types only, never the data.
"""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import ID, path_uuid
from api.ui.block_fields import block_fields
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.blocks.documents import read_block_document
from models.blocks.encryption import block_key_for
from models.blocks.listing import list_block_document_summaries, list_block_types_in_use
from models.filters.blocks import BlockDocumentFilterBody, BlockDocumentSort, BlockTypeFilter
from models.filters.criteria import TextCriteria

routes = web.RouteTableDef()


@routes.get("/blocks", name="blocks")
@aiohttp_jinja2.template("blocks.html")
async def blocks_page(request: web.Request) -> dict[str, Any]:
    number = requested_page(request)
    slug = request.query.get("type") or None
    body = BlockDocumentFilterBody(
        block_types=BlockTypeFilter(slug=TextCriteria(any_=[slug])) if slug else None,
        sort=BlockDocumentSort.BLOCK_TYPE_AND_NAME_ASC,
        limit=PAGE_SIZE + 1,
        offset=page_offset(number),
    )
    async with request.app[keys.database].read_sessions() as session:
        documents = await list_block_document_summaries(session, body)
        block_types = await list_block_types_in_use(session)
    return {
        "page": Page.of(documents, number),
        "block_types": block_types,
        "chosen_type": slug,
    }


@routes.get(f"/blocks/block/{ID}", name="block")
@aiohttp_jinja2.template("block.html")
async def block_page(request: web.Request) -> dict[str, Any]:
    block_key = block_key_for(request.app[keys.settings])
    async with request.app[keys.database].read_sessions() as session:
        # Without include_secrets: the document's secrets come back as stars.
        document = await read_block_document(session, path_uuid(request), block_key)
    return {"document": document, "fields": block_fields(document)}
