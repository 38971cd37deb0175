"""Work queues: inside their work pool by name, and across pools by id (Prefect 2's routes,
which the CLI and the UI still call); their runs and their health."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_values, no_content
from models.coordination.work_queues import (
    create_agent_pool_queue,
    create_work_queue,
    delete_pool_queue,
    delete_work_queue,
    filter_pool_queues,
    filter_work_queues,
    read_pool_queue,
    read_queue_health,
    read_work_queue,
    read_work_queue_by_name,
    update_pool_queue,
    update_work_queue,
)
from models.coordination.worker_polls import get_runs_in_work_queue, record_queue_polls
from models.db.types import utcnow
from models.filters.bodies import WorkQueueFilterBody
from models.schemas.flow_runs import FlowRunResponse
from models.schemas.work_pools import QueueRunsRequest
from models.schemas.work_queues import (
    WorkQueueCreate,
    WorkQueueResponse,
    WorkQueueStatusDetail,
    WorkQueueUpdate,
)

routes = web.RouteTableDef()

TAG = "Work Queues"
POOL_QUEUE = "/api/work_pools/{pool}/queues/{name}"


@routes.post("/api/work_pools/{pool}/queues")
@documented("Create a queue in the pool; a priority held by others moves them down.", tag=TAG,
            body=WorkQueueCreate, response=WorkQueueResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, WorkQueueCreate)
    async with request.app[keys.database].sessions.begin() as session:
        queue = await create_work_queue(
            session, request.match_info["pool"], body.columns(), utcnow()
        )
    return json_model(WorkQueueResponse.from_listed(queue), status=201)


@routes.get(POOL_QUEUE)
@documented("A queue of the pool, by name.", tag=TAG, response=WorkQueueResponse)
async def read_in_pool(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        queue = await read_pool_queue(
            session, request.match_info["pool"], request.match_info["name"]
        )
    return json_model(WorkQueueResponse.from_listed(queue))


@routes.patch(POOL_QUEUE)
@documented("Change the fields sent of a queue of the pool.", tag=TAG, body=WorkQueueUpdate,
            status=204)  # fmt: skip
async def update_in_pool(request: web.Request) -> web.Response:
    changes = (await read_body(request, WorkQueueUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_pool_queue(
            session, request.match_info["pool"], request.match_info["name"], changes, utcnow()
        )
    return no_content()


@routes.delete(POOL_QUEUE)
@documented("Delete a queue of the pool (not its default queue).", tag=TAG, status=204)
async def remove_in_pool(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_pool_queue(session, request.match_info["pool"], request.match_info["name"])
    return no_content()


@routes.post("/api/work_pools/{pool}/queues/filter")
@documented("The pool's queues matching a filter, by priority, paged.", tag=TAG,
            body=WorkQueueFilterBody, response=WorkQueueResponse,
            response_is_list=True)  # fmt: skip
async def read_matching_in_pool(request: web.Request) -> web.Response:
    body = await read_body(request, WorkQueueFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        queues = await filter_pool_queues(session, request.match_info["pool"], body)
    return json_models([WorkQueueResponse.from_listed(q) for q in queues], WorkQueueResponse)


@routes.post("/api/work_queues/")
@documented("Create a work queue in the agents' default pool (Prefect 2's route).", tag=TAG,
            body=WorkQueueCreate, response=WorkQueueResponse, status=201)  # fmt: skip
async def create_without_pool(request: web.Request) -> web.Response:
    body = await read_body(request, WorkQueueCreate)
    async with request.app[keys.database].sessions.begin() as session:
        queue = await create_agent_pool_queue(session, body.columns(), utcnow())
    return json_model(WorkQueueResponse.from_listed(queue), status=201)


@routes.get(f"/api/work_queues/{ID}")
@documented("A work queue by id.", tag=TAG, response=WorkQueueResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        queue = await read_work_queue(session, path_uuid(request))
    return json_model(WorkQueueResponse.from_listed(queue))


@routes.get("/api/work_queues/name/{name}")
@documented("A work queue by name, in the agents' default pool.", tag=TAG,
            response=WorkQueueResponse)  # fmt: skip
async def read_by_name(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        queue = await read_work_queue_by_name(session, request.match_info["name"])
    return json_model(WorkQueueResponse.from_listed(queue))


@routes.patch(f"/api/work_queues/{ID}")
@documented("Change the fields sent of a work queue.", tag=TAG, body=WorkQueueUpdate,
            status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, WorkQueueUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_work_queue(session, path_uuid(request), changes, utcnow())
    return no_content()


@routes.delete(f"/api/work_queues/{ID}")
@documented("Delete a work queue (not a pool's default queue).", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_work_queue(session, path_uuid(request))
    return no_content()


@routes.post("/api/work_queues/filter")
@documented("Work queues of every pool matching a filter, by name, paged.", tag=TAG,
            body=WorkQueueFilterBody, response=WorkQueueResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, WorkQueueFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        queues = await filter_work_queues(session, body)
    return json_models([WorkQueueResponse.from_listed(q) for q in queues], WorkQueueResponse)


@routes.post(f"/api/work_queues/{ID}/get_runs")
@documented("The queue's due scheduled runs within its concurrency limit; records the poll "
            "unless the UI asks (x-prefect-ui).", tag=TAG, body=QueueRunsRequest,
            response=FlowRunResponse, response_is_list=True)  # fmt: skip
async def read_runs(request: web.Request) -> web.Response:
    body = await read_body(request, QueueRunsRequest)
    database = request.app[keys.database]
    async with database.read_sessions() as session:
        queue, runs = await get_runs_in_work_queue(
            session, path_uuid(request), body.scheduled_before, body.limit
        )
    now = utcnow()
    # The UI looks at what is queued; only a real poll makes the queue READY.
    if request.headers.get("x-prefect-ui", "").lower() not in {"true", "1"}:
        await database.write(lambda session: record_queue_polls(session, [queue], now))
    return json_values(
        [FlowRunResponse.from_row(run, state, now).model_dump(mode="json") for run, state in runs]
    )


@routes.get(f"/api/work_queues/{ID}/status")
@documented("Whether the queue is healthy: no Late run, polled within the last minute.",
            tag=TAG, response=WorkQueueStatusDetail)  # fmt: skip
async def read_status(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        health = await read_queue_health(session, path_uuid(request), utcnow())
    return json_model(WorkQueueStatusDetail.from_health(health))
