"""Flows: created (or found) by name, read, listed, counted, paged, deleted."""

from __future__ import annotations

from uuid import uuid4

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, json_values, no_content
from models.db.types import utcnow
from models.filters.bodies import FlowCountBody, FlowFilterBody
from models.runs.flows import (
    count_flows,
    delete_flow,
    filter_flows,
    find_or_create_flow,
    paginate_flows,
    read_flow,
    read_flow_by_name,
)
from models.schemas.flows import FlowCreate, FlowResponse
from models.schemas.pagination import FlowPageBody

routes = web.RouteTableDef()

TAG = "Flows"


@routes.post("/api/flows/")
@documented("Create a flow, or return the one with that name (201 created, 200 existing).",
            tag=TAG, body=FlowCreate, response=FlowResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, FlowCreate)
    now = utcnow()
    row = {"id": uuid4(), "created": now, "updated": now, **body.model_dump()}
    flow, created = await request.app[keys.database].write(
        lambda session: find_or_create_flow(session, row)
    )
    return json_model(FlowResponse.model_validate(flow), status=201 if created else 200)


@routes.get(f"/api/flows/{ID}")
@documented("A flow by id.", tag=TAG, response=FlowResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow = await read_flow(session, path_uuid(request))
    return json_model(FlowResponse.model_validate(flow))


@routes.get("/api/flows/name/{name}")
@documented("A flow by name.", tag=TAG, response=FlowResponse)
async def read_by_name(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow = await read_flow_by_name(session, request.match_info["name"])
    return json_model(FlowResponse.model_validate(flow))


@routes.delete(f"/api/flows/{ID}")
@documented("Delete a flow and its runs.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_flow(session, path_uuid(request))
    return no_content()


@routes.post("/api/flows/filter")
@documented("Flows matching a filter.", tag=TAG,
            body=FlowFilterBody, response=FlowResponse, response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, FlowFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        flows = await filter_flows(session, body)
    return json_models([FlowResponse.model_validate(flow) for flow in flows], FlowResponse)


@routes.post("/api/flows/count")
@documented("How many flows match a filter (a bare integer).", tag=TAG, body=FlowCountBody)
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, FlowCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_flows(session, body)
    return json_value(total)


@routes.post("/api/flows/paginate")
@documented("One page of the flows matching a filter, with their count and pages.",
            tag=TAG, body=FlowPageBody)  # fmt: skip
async def paginate(request: web.Request) -> web.Response:
    body = await read_body(request, FlowPageBody)
    async with request.app[keys.database].read_sessions() as session:
        flows, total = await paginate_flows(session, body)
    results = [FlowResponse.model_validate(flow).model_dump(mode="json") for flow in flows]
    return json_values(body.answer(results, total))
