"""Automations: only what the runner and the CLI call about a deployment, for now."""

from __future__ import annotations

from aiohttp import web

from api.openapi import documented
from api.responses import json_value

routes = web.RouteTableDef()

TAG = "Automations"


@routes.delete("/api/automations/owned-by/{resource_id}")
@documented(
    "Delete the automations a resource owns (`flow.serve` calls it for its deployment); "
    "Signalbox keeps no automations yet, so there is nothing to delete.",
    tag=TAG,
    status=202,
)
async def delete_owned_by(request: web.Request) -> web.Response:
    return json_value(None, status=202)


@routes.get("/api/automations/related-to/{resource_id}")
@documented(
    "The automations related to a resource (`prefect deployment inspect` lists them); "
    "none, as Signalbox keeps no automations yet.",
    tag=TAG,
)
async def read_related_to(request: web.Request) -> web.Response:
    return json_value([])
