"""Flows: created (or found) by name, read, listed, counted, deleted."""

from __future__ import annotations

from uuid import uuid4

from aiohttp import web
from sqlalchemy import delete, func, select

from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.filters.bodies import FlowCountBody, FlowFilterBody
from models.runs.flows import Flow, find_or_create_flow
from models.schemas.flows import FlowCreate, FlowResponse

routes = web.RouteTableDef()


@routes.post("/api/flows/")
@documented(
    "Create a flow, or return the one with that name (201 created, 200 existing).",
    tag="Flows",
    body=FlowCreate,
    response=FlowResponse,
    status=201,
)
async def create_flow(request: web.Request) -> web.Response:
    body = await read_body(request, FlowCreate)
    now = utcnow()
    row = {"id": uuid4(), "created": now, "updated": now, **body.model_dump()}
    flow, created = await request.app[keys.database].write(
        lambda session: find_or_create_flow(session, row)
    )
    return json_model(FlowResponse.model_validate(flow), status=201 if created else 200)


@routes.get("/api/flows/{id}")
@documented("A flow by id.", tag="Flows", response=FlowResponse)
async def read_flow(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow = await session.get(Flow, path_uuid(request))
    if flow is None:
        raise ObjectNotFound("Flow not found")
    return json_model(FlowResponse.model_validate(flow))


@routes.get("/api/flows/name/{name}")
@documented("A flow by name.", tag="Flows", response=FlowResponse)
async def read_flow_by_name(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow = await session.scalar(select(Flow).where(Flow.name == request.match_info["name"]))
    if flow is None:
        raise ObjectNotFound("Flow not found")
    return json_model(FlowResponse.model_validate(flow))


@routes.post("/api/flows/filter")
@documented(
    "Flows matching a filter.",
    tag="Flows",
    body=FlowFilterBody,
    response=FlowResponse,
    response_is_list=True,
)
async def filter_flows(request: web.Request) -> web.Response:
    body = await read_body(request, FlowFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        dialect = session.get_bind().dialect.name
        flows = list(await session.scalars(body.apply(select(Flow), dialect)))
    return json_models([FlowResponse.model_validate(flow) for flow in flows], FlowResponse)


@routes.post("/api/flows/count")
@documented("How many flows match a filter (a bare integer).", tag="Flows", body=FlowCountBody)
async def count_flows(request: web.Request) -> web.Response:
    body = await read_body(request, FlowCountBody)
    async with request.app[keys.database].read_sessions() as session:
        dialect = session.get_bind().dialect.name
        count = await session.scalar(select(func.count(Flow.id)).where(body.where(dialect)))
    return json_value(count)


@routes.delete("/api/flows/{id}")
@documented("Delete a flow and its runs.", tag="Flows", status=204)
async def delete_flow(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        result = await session.execute(delete(Flow).where(Flow.id == path_uuid(request)))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise ObjectNotFound("Flow not found")
    return no_content()
