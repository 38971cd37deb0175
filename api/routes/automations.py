"""Automations: create, read, replace, pause or resume, delete, list and count; the
automations related to or owned by a resource; template validation.

Status codes, 404 details and bodies are Prefect's server's. Automations kept for a
notification policy are the policy API's and answer 404 here.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import TypeAdapter

from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.automations.store import (
    count_automations,
    create_automation,
    delete_automation,
    delete_automations_owned_by,
    filter_automations,
    read_automation,
    read_automations_related_to,
    replace_automation,
    response_of,
    set_automation_enabled,
)
from models.db.types import utcnow
from models.filters.automations import AutomationCountBody, AutomationFilterBody
from models.schemas.automation_actions import template_problem
from models.schemas.automations import (
    AutomationCreate,
    AutomationPartialUpdate,
    AutomationResponse,
    AutomationUpdate,
)

routes = web.RouteTableDef()

TAG = "Automations"

template_text = TypeAdapter(str)


@routes.post("/api/automations/")
@documented("Create an automation; its triggers get new ids.", tag=TAG, body=AutomationCreate,
            response=AutomationResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, AutomationCreate)
    async with request.app[keys.database].sessions.begin() as session:
        automation = await create_automation(session, body, utcnow())
    return json_model(response_of(automation), status=201)


@routes.get(f"/api/automations/{ID}")
@documented("An automation by id.", tag=TAG, response=AutomationResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        automation = await read_automation(session, path_uuid(request))
    return json_model(response_of(automation))


@routes.put(f"/api/automations/{ID}")
@documented("Replace an automation (its triggers get new ids).", tag=TAG,
            body=AutomationUpdate, status=204)  # fmt: skip
async def replace(request: web.Request) -> web.Response:
    automation_id = path_uuid(request)
    body = await read_body(request, AutomationUpdate)
    async with request.app[keys.database].sessions.begin() as session:
        await replace_automation(session, automation_id, body, utcnow())
    return no_content()


@routes.patch(f"/api/automations/{ID}")
@documented("Pause (`enabled: false`) or resume (`enabled: true`) an automation.", tag=TAG,
            body=AutomationPartialUpdate, status=204)  # fmt: skip
async def pause_or_resume(request: web.Request) -> web.Response:
    automation_id = path_uuid(request)
    body = await read_body(request, AutomationPartialUpdate)
    async with request.app[keys.database].sessions.begin() as session:
        await set_automation_enabled(session, automation_id, body.enabled, utcnow())
    return no_content()


@routes.delete(f"/api/automations/{ID}")
@documented("Delete an automation.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_automation(session, path_uuid(request))
    return no_content()


@routes.post("/api/automations/filter")
@documented("Automations matching a filter, sorted (by name unless said) and paged.", tag=TAG,
            body=AutomationFilterBody, response=AutomationResponse,
            response_is_list=True)  # fmt: skip
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, AutomationFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        automations = await filter_automations(session, body)
    return json_models([response_of(a) for a in automations], AutomationResponse)


@routes.post("/api/automations/count")
@documented("How many automations match a filter (a bare integer).", tag=TAG,
            body=AutomationCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, AutomationCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_automations(session, body)
    return json_value(total)


@routes.get("/api/automations/related-to/{resource_id}")
@documented("The automations related to a resource: the deployments their actions run, the "
            "resource that owns them (`prefect deployment inspect` lists them).", tag=TAG,
            response=AutomationResponse, response_is_list=True)  # fmt: skip
async def read_related_to(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        automations = await read_automations_related_to(session, request.match_info["resource_id"])
    return json_models([response_of(a) for a in automations], AutomationResponse)


@routes.delete("/api/automations/owned-by/{resource_id}")
@documented("Delete the automations a resource owns (`flow.serve` calls it for its "
            "deployment before creating them again).", tag=TAG, status=202)  # fmt: skip
async def delete_owned_by(request: web.Request) -> web.Response:
    resource_id = request.match_info["resource_id"]
    async with request.app[keys.database].sessions.begin() as session:
        await delete_automations_owned_by(session, resource_id, created_before=utcnow())
    return json_value(None, status=202)


@routes.post("/api/templates/validate")
@routes.post("/api/automations/templates/validate")
@documented("Check that a template (the body, a JSON string) parses: 204, or 422 with the "
            "line and message of the problem.", tag=TAG, status=204)  # fmt: skip
async def validate_template(request: web.Request) -> web.Response:
    raw = await request.read()
    template = template_text.validate_json(raw) if raw else ""
    problem = template_problem(template)
    if problem is None:
        return no_content()
    line, message = problem
    # Prefect's UI reads `error`; `detail` is what every other 422 of ours carries.
    error = {"line": line, "message": message, "source": template}
    return json_value({"error": error, "detail": message}, status=422)
