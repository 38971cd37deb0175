"""Log lines: POST /api/logs/ queues a batch for the ingest actors; /filter reads them."""

from __future__ import annotations

from uuid import uuid4

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import read_body
from api.responses import json_models
from models.filters.bodies import LogFilterBody
from models.runs.logs import filter_logs
from models.schemas.logs import (
    LogCreate,
    LogResponse,
    clean_log_records,
    log_batch,
    may_need_cleaning,
)

routes = web.RouteTableDef()


@routes.post("/api/logs/")
@documented(
    "Accept a batch of log records; they are readable once the ingest actors store them.",
    tag="Logs",
    body=LogCreate,
    body_is_list=True,
    status=201,
)
async def create_logs(request: web.Request) -> web.Response:
    body = await request.read()
    records = log_batch.validate_json(body)  # a bad batch is a 422; nothing is queued
    if may_need_cleaning(body):
        clean_log_records(records)
    # Each record gets its id now, so a redelivered message stores nothing twice: one random
    # UUID for the batch, whose last 8 hex digits are replaced by the record's index (a
    # batch has fewer than 16**8 records). Its version and variant digits stay as they are.
    prefix = uuid4().hex[:24]
    for index, record in enumerate(records):
        record["id"] = f"{prefix}{index:08x}"  # type: ignore[typeddict-unknown-key]  # stored
    logs = request.app[keys.outbox].logs
    await logs.room()  # while the ingest workers' backlog is long, this client waits
    await logs.add(records)
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
