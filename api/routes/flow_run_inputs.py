"""Flow-run inputs: store a keyed value for a flow run, read it back as text, list by key
prefix, delete; what `wait_for_input`, `send_input` and `receive_input` use."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_models, no_content
from models.runs.flow_run_inputs import (
    create_flow_run_input,
    delete_flow_run_input,
    filter_flow_run_inputs,
    read_flow_run_input,
)
from models.schemas.flow_run_inputs import (
    FlowRunInputCreate,
    FlowRunInputFilter,
    FlowRunInputResponse,
)

routes = web.RouteTableDef()

TAG = "Flow runs"


@routes.post(f"/api/flow_runs/{ID}/input")
@documented("Store a value under a key of the flow run; 409 when the key is taken.", tag=TAG,
            body=FlowRunInputCreate, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunInputCreate)
    async with request.app[keys.database].sessions.begin() as session:
        await create_flow_run_input(session, path_uuid(request), body.key, body.value, body.sender)
    # The reference answers 201 with a JSON null.
    return web.Response(body=b"null", status=201, content_type="application/json")


@routes.post(f"/api/flow_runs/{ID}/input/filter")
@documented(
    "The flow run's inputs whose key starts with a prefix, oldest first, but for those excluded.",
    tag=TAG,
    body=FlowRunInputFilter,
    response=FlowRunInputResponse,
    response_is_list=True,
)
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunInputFilter)
    async with request.app[keys.database].read_sessions() as session:
        inputs = await filter_flow_run_inputs(
            session, path_uuid(request), body.prefix, body.limit, body.exclude_keys
        )
    responses = [FlowRunInputResponse.model_validate(row) for row in inputs]
    return json_models(responses, FlowRunInputResponse)


@routes.get(f"/api/flow_runs/{ID}/input/{{key}}")
@documented("The value stored under a key, as plain text.", tag=TAG)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        value = await read_flow_run_input(session, path_uuid(request), request.match_info["key"])
    return web.Response(text=value, content_type="text/plain")


@routes.delete(f"/api/flow_runs/{ID}/input/{{key}}")
@documented("Delete the value stored under a key.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_flow_run_input(session, path_uuid(request), request.match_info["key"])
    return no_content()
