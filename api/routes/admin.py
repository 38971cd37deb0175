"""Administrative routes: versions, settings, hello, health, readiness, storage, and the CSRF
switch."""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.readiness import find_problems
from api.responses import json_value
from models.errors import InvalidRequest, NotReady
from models.schemas.server_settings import prefect_settings_view

routes = web.RouteTableDef()

#: The Prefect server version Signalbox answers as; clients refuse another major version.
PREFECT_API_VERSION = "3.9.1"
#: The version of the REST API itself, as the reference answers GET /api/version.
REST_API_VERSION = "0.8.4"
#: What the reference answers (422) for a CSRF token while protection is off; a Prefect
#: client reading it stops asking.
CSRF_DISABLED_DETAIL = "CSRF protection is disabled."


@routes.get("/api/admin/version")
@documented("The Prefect server version this API is compatible with.", tag="Admin")
async def read_version(request: web.Request) -> web.Response:
    return json_value(PREFECT_API_VERSION)


@routes.get("/api/admin/settings")
@documented("The server's settings, laid out as Prefect's (secrets masked).", tag="Admin")
async def read_settings(request: web.Request) -> web.Response:
    return json_value(prefect_settings_view(request.app[keys.settings]))


@routes.get("/api/version")
@documented("The version of the REST API.", tag="Root")
async def read_api_version(request: web.Request) -> web.Response:
    return json_value(REST_API_VERSION)


@routes.get("/api/hello")
@documented("Say hello: a request that only needs the API process.", tag="Root")
async def hello(request: web.Request) -> web.Response:
    return json_value("\N{WAVING HAND SIGN}")


@routes.get("/api/admin/storage")
@documented("The default result storage block (none).", tag="Admin")
async def read_storage(request: web.Request) -> web.Response:
    return json_value({"default_result_storage_block_id": None})


@routes.get("/api/csrf-token")
@documented("CSRF protection is off: a 422 that tells Prefect clients not to send tokens.",
            tag="Admin", query={"client": "the client asking for a token"})  # fmt: skip
async def read_csrf_token(request: web.Request) -> web.Response:
    if "client" not in request.query:
        raise web.HTTPUnprocessableEntity(reason="Query parameter client is required")
    raise InvalidRequest(CSRF_DISABLED_DETAIL)


@routes.get("/api/health")
@documented("The API process is up.", tag="Admin")
async def read_health(request: web.Request) -> web.Response:
    return json_value(True)


@routes.get("/api/ready")
@documented("The database answers at this Signalbox's schema, Redis answers, and worker "
            "processes consume the state, ingest and services queues (503 listing what is "
            "not ready).", tag="Admin")  # fmt: skip
async def read_ready(request: web.Request) -> web.Response:
    if problems := await find_problems(request.app):
        raise NotReady(problems)
    return json_value({"message": "OK"})
