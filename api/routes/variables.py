"""Variables: create, read, change and delete by id or by name; list and count."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.db.types import utcnow
from models.filters.variables import VariableCountBody, VariableFilterBody
from models.schemas.variables import VariableCreate, VariableResponse, VariableUpdate
from models.variables import (
    count_variables,
    create_variable,
    delete_variable,
    filter_variables,
    read_variable,
    update_variable,
)

routes = web.RouteTableDef()

TAG = "Variables"


@routes.post("/api/variables/")
@documented("Create a variable; 409 when the name is taken.", tag=TAG, body=VariableCreate,
            response=VariableResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, VariableCreate)
    async with request.app[keys.database].sessions.begin() as session:
        variable = await create_variable(session, body.model_dump(), utcnow())
    return json_model(VariableResponse.model_validate(variable), status=201)


async def read_one(request: web.Request, id_or_name: UUID | str) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        variable = await read_variable(session, id_or_name)
    return json_model(VariableResponse.model_validate(variable))


async def update_one(request: web.Request, id_or_name: UUID | str) -> web.Response:
    changes = (await read_body(request, VariableUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_variable(session, id_or_name, changes, utcnow())
    return no_content()


async def delete_one(request: web.Request, id_or_name: UUID | str) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_variable(session, id_or_name)
    return no_content()


@routes.get(f"/api/variables/{ID}")
@documented("A variable by id.", tag=TAG, response=VariableResponse)
async def read(request: web.Request) -> web.Response:
    return await read_one(request, path_uuid(request))


@routes.get("/api/variables/name/{name}")
@documented("A variable by name.", tag=TAG, response=VariableResponse)
async def read_by_name(request: web.Request) -> web.Response:
    return await read_one(request, request.match_info["name"])


@routes.patch(f"/api/variables/{ID}")
@documented("Change the fields sent (others stay as they are).", tag=TAG,
            body=VariableUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    return await update_one(request, path_uuid(request))


@routes.patch("/api/variables/name/{name}")
@documented("Change the fields sent, by name (Variable.set with overwrite).", tag=TAG,
            body=VariableUpdate, status=204)  # fmt: skip
async def update_by_name(request: web.Request) -> web.Response:
    return await update_one(request, request.match_info["name"])


@routes.delete(f"/api/variables/{ID}")
@documented("Delete a variable by id.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    return await delete_one(request, path_uuid(request))


@routes.delete("/api/variables/name/{name}")
@documented("Delete a variable by name.", tag=TAG, status=204)
async def remove_by_name(request: web.Request) -> web.Response:
    return await delete_one(request, request.match_info["name"])


@routes.post("/api/variables/filter")
@documented("Variables matching a filter, sorted and paged (at most 200).", tag=TAG,
            body=VariableFilterBody, response=VariableResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, VariableFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        variables = await filter_variables(session, body)
    return json_models([VariableResponse.model_validate(v) for v in variables], VariableResponse)


@routes.post("/api/variables/count")
@documented("How many variables match a filter (a bare integer).", tag=TAG,
            body=VariableCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, VariableCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_variables(session, body)
    return json_value(total)
