"""Log lines: POST /api/logs/ queues a batch for the ingest actors; /filter reads them."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import read_body
from api.responses import json_models
from models.filters.bodies import LogFilterBody
from models.messages.log_batches import number_log_records
from models.runs.logs import filter_logs
from models.schemas.logs import LogRecord, LogResponse, read_log_batch

routes = web.RouteTableDef()


@routes.post("/api/logs/")
@documented(
    "Accept a batch of log records; they are readable once the ingest actors store them.",
    tag="Logs",
    body=LogRecord,
    body_is_list=True,
    status=201,
)
async def create_logs(request: web.Request) -> web.Response:
    body = await request.read()
    records = read_log_batch(body)  # a bad batch is a 422; nothing is queued
    # Each record gets its id now, so a redelivered message stores nothing twice.
    queued = number_log_records(records)
    logs = request.app[keys.outbox].logs
    await logs.room()  # while the ingest workers' backlog is long, this client waits
    await logs.add(queued)
    return web.Response(status=201)


@routes.post("/api/logs/filter")
@documented(
    "Log records matching a filter.",
    tag="Logs",
    body=LogFilterBody,
    response=LogResponse,
    response_is_list=True,
)
async def read_logs(request: web.Request) -> web.Response:
    body = await read_body(request, LogFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        logs = await filter_logs(session, body)
    return json_models([LogResponse.model_validate(log) for log in logs], LogResponse)
