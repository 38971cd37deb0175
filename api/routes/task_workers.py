"""POST /api/task_workers/filter: the task workers subscribed now, by the keys they serve."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import read_body
from api.responses import json_models
from models.runs.task_workers import read_task_workers
from models.schemas.task_workers import TaskWorkerFilterBody, TaskWorkerResponse

routes = web.RouteTableDef()


@routes.post("/api/task_workers/filter")
@documented(
    "The connected task workers, or those serving any of the given task keys.",
    tag="Task workers",
    body=TaskWorkerFilterBody,
    response=TaskWorkerResponse,
    response_is_list=True,
)
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, TaskWorkerFilterBody)
    task_keys = body.task_worker_filter.task_keys if body.task_worker_filter else []
    workers = await read_task_workers(request.app[keys.redis_client], task_keys)
    return json_models(workers, TaskWorkerResponse)
