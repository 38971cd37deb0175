"""`/automations`: the automations, one automation with what it did, and the forms that
create and edit one.

Reads go through the automation store the automations API calls; pausing, resuming,
replacing, creating and deleting are the API's own routes called from the page.
"""

from __future__ import annotations

import json
from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from api.ui.automation_text import actions_text, trigger_text
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.automations.firing_history import read_recent_firings
from models.automations.store import filter_automations, read_automation, response_of
from models.filters.automations import AutomationFilterBody, AutomationSort
from models.schemas.automations import AutomationResponse

routes = web.RouteTableDef()

#: The fields a form edits, each a JSON value; the rest of an automation is its identity.
JSON_FIELDS: Final = ("trigger", "actions", "actions_on_trigger", "actions_on_resolve")
#: What the create form starts from: tell nobody when a flow run fails.
EXAMPLE: Final = {
    "trigger": {
        "type": "event",
        "posture": "Reactive",
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "expect": ["prefect.flow-run.Failed"],
        "threshold": 1,
        "within": 0,
    },
    "actions": [{"type": "do-nothing"}],
    "actions_on_trigger": [],
    "actions_on_resolve": [],
}


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def described(automation: AutomationResponse) -> dict[str, Any]:
    """An automation as the pages show it: its fields, its sentences, its JSON fields."""
    data = automation.model_dump(mode="json")
    return {
        **automation.model_dump(include={"id", "name", "description", "enabled", "tags"}),
        "created": automation.created,
        "updated": automation.updated,
        **{field: data[field] for field in JSON_FIELDS},
        "trigger_text": trigger_text(data["trigger"]),
        "actions_text": actions_text(data),
        "json": {field: pretty_json(data[field]) for field in JSON_FIELDS},
    }


@routes.get("/automations", name="automations")
@aiohttp_jinja2.template("automations.html")
async def automations_page(request: web.Request) -> dict[str, Any]:
    number = requested_page(request)
    body = AutomationFilterBody(
        sort=AutomationSort.NAME_ASC, limit=PAGE_SIZE + 1, offset=page_offset(number)
    )
    async with request.app[keys.database].read_sessions() as session:
        automations = await filter_automations(session, body)
    listed = Page.of(automations, number)
    shown = [described(response_of(automation)) for automation in listed.items]
    return {
        "page": Page(shown, number, listed.has_next),
        "live_resources": ["prefect.automation."],
    }


@routes.get("/automations/create")
@aiohttp_jinja2.template("automation_form.html")
async def create_page(request: web.Request) -> dict[str, Any]:
    return {
        "automation": None,
        "values": {"name": "", "description": "", "enabled": True, "tags": []},
        "json": {field: pretty_json(value) for field, value in EXAMPLE.items()},
    }


@routes.get("/automations/automation/{id}/edit")
@aiohttp_jinja2.template("automation_form.html")
async def edit_page(request: web.Request) -> dict[str, Any]:
    async with request.app[keys.database].read_sessions() as session:
        automation = described(response_of(await read_automation(session, path_uuid(request))))
    return {"automation": automation, "values": automation, "json": automation["json"]}


@routes.get("/automations/automation/{id}")
@aiohttp_jinja2.template("automation.html")
async def automation_page(request: web.Request) -> dict[str, Any]:
    automation_id = path_uuid(request)
    async with request.app[keys.database].read_sessions() as session:
        automation = response_of(await read_automation(session, automation_id))
        firings = await read_recent_firings(session, automation_id)
    return {
        "automation": described(automation),
        "firings": firings,
        "live_resources": [f"prefect.automation.{automation_id}"],
    }
