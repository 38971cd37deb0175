"""Saved searches: saved (or replaced) by name, read, listed, deleted."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, no_content
from models.db.types import utcnow
from models.saved_searches import (
    delete_saved_search,
    filter_saved_searches,
    read_saved_search,
    save_search,
)
from models.schemas.saved_searches import (
    SavedSearchCreate,
    SavedSearchFilterBody,
    SavedSearchResponse,
)

routes = web.RouteTableDef()

TAG = "Saved searches"


@routes.put("/api/saved_searches/")
@documented("Save a search; one with the same name gets the new filters (201 new, 200 not).",
            tag=TAG, body=SavedSearchCreate, response=SavedSearchResponse, status=201)  # fmt: skip
async def save(request: web.Request) -> web.Response:
    body = await read_body(request, SavedSearchCreate)
    async with request.app[keys.database].sessions.begin() as session:
        saved, created = await save_search(session, body, utcnow())
        response = SavedSearchResponse.model_validate(saved)
    return json_model(response, status=201 if created else 200)


@routes.get(f"/api/saved_searches/{ID}")
@documented("A saved search by id.", tag=TAG, response=SavedSearchResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        saved = await read_saved_search(session, path_uuid(request))
    return json_model(SavedSearchResponse.model_validate(saved))


@routes.post("/api/saved_searches/filter")
@documented("Saved searches by name, paged with `limit` and `offset`.", tag=TAG,
            body=SavedSearchFilterBody, response=SavedSearchResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, SavedSearchFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        searches = await filter_saved_searches(session, body)
    return json_models(
        [SavedSearchResponse.model_validate(saved) for saved in searches], SavedSearchResponse
    )


@routes.delete(f"/api/saved_searches/{ID}")
@documented("Delete a saved search.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_saved_search(session, path_uuid(request))
    return no_content()
