"""Administrative routes: version, health, readiness, storage, and the CSRF switch."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.responses import json_value
from models.db.database import ping_database
from models.errors import NotReady

routes = web.RouteTableDef()

#: The Prefect server version Signalbox answers as; clients refuse another major version.
PREFECT_API_VERSION = "3.9.1"


@routes.get("/api/admin/version")
@documented("The Prefect server version this API is compatible with.", tag="Admin")
async def read_version(request: web.Request) -> web.Response:
    return json_value(PREFECT_API_VERSION)


@routes.get("/api/admin/storage")
@documented("The default result storage block (none).", tag="Admin")
async def read_storage(request: web.Request) -> web.Response:
    return json_value({"default_result_storage_block_id": None})


@routes.get("/api/csrf-token")
@documented("CSRF protection is off: 404 tells Prefect clients not to send tokens.", tag="Admin")
async def read_csrf_token(request: web.Request) -> web.Response:
    raise web.HTTPNotFound(reason="CSRF protection is disabled.")


@routes.get("/api/health")
@documented("The API process is up.", tag="Admin")
async def read_health(request: web.Request) -> web.Response:
    return json_value(True)


@routes.get("/api/ready")
@documented("The database and Redis both answer (503 when one does not).", tag="Admin")
async def read_ready(request: web.Request) -> web.Response:
    problems: dict[str, str] = {}
    try:
        async with request.app[keys.database].read_sessions() as session:
            await ping_database(session)
    except Exception as exc:  # readiness reports any failure rather than raising it
        problems["database"] = type(exc).__name__
    try:
        await request.app[keys.redis_client].ping()
    except Exception as exc:  # as above: report, do not raise
        problems["redis"] = type(exc).__name__
    if problems:
        raise NotReady(problems)
    return json_value({"message": "OK"})
