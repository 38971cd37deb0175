"""Log lines: POST /api/logs/ queues a batch for the ingest actors; /filter reads them."""

from __future__ import annotations

from uuid import uuid4

from aiohttp import web
from pydantic import TypeAdapter
from sqlalchemy import select

from api import keys
from api.openapi import documented
from api.requests import read_body, read_body_as
from api.responses import json_models
from models.filters.bodies import LogFilterBody
from models.logs import Log
from models.schemas.logs import LogBatch, LogCreate, LogResponse

routes = web.RouteTableDef()
log_batch: TypeAdapter[list[LogCreate]] = TypeAdapter(LogBatch)


@routes.post("/api/logs/")
@documented(
    "Accept a batch of log records; they are readable once the ingest actors store them.",
    tag="Logs",
    body=LogCreate,
    body_is_list=True,
    status=201,
)
async def create_logs(request: web.Request) -> web.Response:
    batch = await read_body_as(request, log_batch)  # a bad batch is a 422; nothing is queued
    # Each record gets its id now, so a redelivered message stores nothing twice.
    records = log_batch.dump_python(batch, mode="json")  # one call for the whole batch
    for record in records:
        record["id"] = str(uuid4())
    await request.app[keys.outbox].logs.add(records)
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
        dialect = session.get_bind().dialect.name
        rows = list(await session.scalars(body.apply(select(Log), dialect)))
    return json_models([LogResponse.model_validate(row) for row in rows], LogResponse)
