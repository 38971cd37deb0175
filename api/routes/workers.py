"""Prefect workers of a work pool: heartbeats, listing and deletion; and the worker type
catalog the CLI creates work pools from."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import read_body
from api.responses import json_models, json_value, no_content
from models.coordination.worker_catalog import worker_catalog
from models.coordination.workers import (
    delete_worker,
    filter_workers,
    is_online,
    record_worker_heartbeat,
)
from models.db.types import utcnow
from models.filters.bodies import WorkerFilterBody
from models.schemas.work_pools import WorkerHeartbeat, WorkerResponse

routes = web.RouteTableDef()

TAG = "Workers"


@routes.post("/api/work_pools/{name}/workers/heartbeat")
@documented("A Prefect worker is alive: it is ONLINE, and its pool READY unless paused.",
            tag=TAG, body=WorkerHeartbeat, status=204)  # fmt: skip
async def heartbeat(request: web.Request) -> web.Response:
    body = await read_body(request, WorkerHeartbeat)
    async with request.app[keys.database].sessions.begin() as session:
        await record_worker_heartbeat(
            session,
            request.match_info["name"],
            body.name,
            body.heartbeat_interval_seconds,
            utcnow(),
        )
    return no_content()


@routes.post("/api/work_pools/{name}/workers/filter")
@documented("The pool's Prefect workers matching a filter, latest heartbeat first.", tag=TAG,
            body=WorkerFilterBody, response=WorkerResponse, response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, WorkerFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        workers = await filter_workers(session, request.match_info["name"], body)
    now = utcnow()
    responses = [WorkerResponse.from_row(worker, is_online(worker, now)) for worker in workers]
    return json_models(responses, WorkerResponse)


@routes.delete("/api/work_pools/{name}/workers/{worker}")
@documented("Forget a Prefect worker of the pool.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_worker(session, request.match_info["name"], request.match_info["worker"])
    return no_content()


@routes.get("/api/collections/views/aggregate-worker-metadata")
@documented("The worker type catalog: each Prefect worker type and its default base job "
            "template, by package.", tag="Collections")  # fmt: skip
async def read_worker_catalog(request: web.Request) -> web.Response:
    return json_value(worker_catalog())
