"""Work pools: create, read, change, delete, list and count; and the poll of a Prefect worker
for the scheduled flow runs it may submit."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import read_body
from api.responses import json_model, json_models, json_value, no_content
from models.coordination.work_pools import (
    count_work_pools,
    create_work_pool,
    delete_work_pool,
    filter_work_pools,
    pools_active_slots,
    read_pool_with_slots,
    update_work_pool,
)
from models.coordination.worker_polls import get_scheduled_flow_runs, record_queue_polls
from models.db.types import utcnow
from models.filters.bodies import WorkPoolFilterBody
from models.schemas.work_pools import (
    ScheduledRunsRequest,
    WorkerFlowRunResponse,
    WorkPoolCreate,
    WorkPoolResponse,
    WorkPoolUpdate,
)

routes = web.RouteTableDef()

TAG = "Work Pools"


@routes.post("/api/work_pools/")
@documented("Create a work pool with its default queue; 409 when the name is taken.", tag=TAG,
            body=WorkPoolCreate, response=WorkPoolResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, WorkPoolCreate)
    async with request.app[keys.database].sessions.begin() as session:
        pool = await create_work_pool(session, body.columns(), utcnow())
    active_slots = None if pool.concurrency_limit is None else 0
    return json_model(WorkPoolResponse.from_row(pool, active_slots), status=201)


@routes.get("/api/work_pools/{name}")
@documented("A work pool by name.", tag=TAG, response=WorkPoolResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        pool, active_slots = await read_pool_with_slots(session, request.match_info["name"])
    return json_model(WorkPoolResponse.from_row(pool, active_slots))


@routes.patch("/api/work_pools/{name}")
@documented("Change the fields sent; pausing or resuming sets the pool's status.", tag=TAG,
            body=WorkPoolUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, WorkPoolUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_work_pool(session, request.match_info["name"], changes, utcnow())
    return no_content()


@routes.delete("/api/work_pools/{name}")
@documented("Delete a work pool with its queues and workers.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_work_pool(session, request.match_info["name"])
    return no_content()


@routes.post("/api/work_pools/filter")
@documented("Work pools matching a filter, by name, paged (at most 200).", tag=TAG,
            body=WorkPoolFilterBody, response=WorkPoolResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, WorkPoolFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        pools = await filter_work_pools(session, body)
        slots = await pools_active_slots(session, pools)
    responses = [
        WorkPoolResponse.from_row(pool, active) for pool, active in zip(pools, slots, strict=True)
    ]
    return json_models(responses, WorkPoolResponse)


@routes.post("/api/work_pools/count")
@documented("How many work pools match a filter (a bare integer).", tag=TAG,
            body=WorkPoolFilterBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, WorkPoolFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_work_pools(session, body)
    return json_value(total)


@routes.post("/api/work_pools/{name}/get_scheduled_flow_runs")
@documented("The scheduled flow runs a Prefect worker may submit, by queue priority, within "
            "the pool's and queues' concurrency limits; records the poll.", tag=TAG,
            body=ScheduledRunsRequest, response=WorkerFlowRunResponse,
            response_is_list=True)  # fmt: skip
async def get_scheduled_runs(request: web.Request) -> web.Response:
    body = await read_body(request, ScheduledRunsRequest)
    database = request.app[keys.database]
    async with database.read_sessions() as session:
        poll = await get_scheduled_flow_runs(
            session,
            request.match_info["name"],
            body.work_queue_names,
            body.scheduled_before,
            body.scheduled_after,
            body.limit,
        )
    now = utcnow()
    # The queues and their deployments are READY from this poll on (the foreman marks
    # them NOT_READY when polls stop).
    await database.write(lambda session: record_queue_polls(session, poll.polled_queues, now))
    responses = [WorkerFlowRunResponse.from_scheduled(run, now) for run in poll.runs]
    return json_models(responses, WorkerFlowRunResponse)
