"""`/deployments` and `/deployments/deployment/<id>`: deployments, their schedules, their
upcoming and recent runs, their parameters; pausing and running one now through the REST API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import ID, path_uuid
from api.ui.deployment_details import describe_schedule, parameter_rows, summarize_schedules
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.coordination.deployments import filter_deployments, read_deployment
from models.filters.bodies import DeploymentFilterBody, FlowFilterBody, FlowRunFilterBody
from models.runs.flow_run_listing import filter_flow_runs, parsed
from models.runs.flows import filter_flows, read_flow
from models.states import StateType

routes = web.RouteTableDef()

#: Runs shown in each of a deployment's run tables; the runs page lists them all.
RUNS_SHOWN: Final = 10


@dataclass(frozen=True)
class RunLine:
    """A flow run as a row of a deployment's run tables."""

    id: str
    name: str
    state_type: str | None
    state_name: str | None
    expected_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    parameters: str

    @classmethod
    def of(cls, row: Any) -> RunLine:
        """A row of the flow-run listing (values as the text of their JSON)."""
        return cls(
            id=row.id,
            name=row.name,
            state_type=row.state_type,
            state_name=row.state_name,
            expected_start_time=parsed(row.expected_start_time),
            start_time=parsed(row.start_time),
            end_time=parsed(row.end_time),
            parameters=row.parameters or "{}",
        )


def runs_of(deployment_id: UUID, *, upcoming: bool) -> FlowRunFilterBody:
    """The deployment's scheduled runs soonest first, or its other runs latest first; both
    read through the (deployment_id, expected_start_time) index."""
    scheduled = [StateType.SCHEDULED.value]
    state = {"any_": scheduled} if upcoming else {"not_any_": scheduled}
    return FlowRunFilterBody.model_validate(
        {
            "flow_runs": {"deployment_id": {"any_": [deployment_id]}, "state": {"type": state}},
            "sort": "EXPECTED_START_TIME_ASC" if upcoming else "EXPECTED_START_TIME_DESC",
            "limit": RUNS_SHOWN,
        }
    )


@routes.get("/deployments", name="deployments")
@aiohttp_jinja2.template("deployments.html")
async def deployments_page(request: web.Request) -> dict[str, Any]:
    search = request.query.get("q", "").strip()
    number = requested_page(request)
    criteria = {"flow_or_deployment_name": {"like_": search}} if search else None
    body = DeploymentFilterBody.model_validate(
        {"deployments": criteria, "limit": PAGE_SIZE + 1, "offset": page_offset(number)}
    )
    async with request.app[keys.database].read_sessions() as session:
        page = Page.of(await filter_deployments(session, body), number)
        flow_ids = sorted({view.deployment.flow_id for view in page.items})
        flows = await filter_flows(
            session, FlowFilterBody.model_validate({"flows": {"id": {"any_": flow_ids}}})
        )
    return {
        "deployments": [(view, summarize_schedules(view.schedules)) for view in page.items],
        "flow_names": {flow.id: flow.name for flow in flows},
        "search": search,
        "page": page,
        # Every flow-run event names its deployment: following them all would re-render
        # this list on each one; a deployment's status changes slowly, so poll instead.
        "live_poll": 30,
    }


@routes.get(f"/deployments/deployment/{ID}", name="deployment")
@aiohttp_jinja2.template("deployment.html")
async def deployment_page(request: web.Request) -> dict[str, Any]:
    deployment_id = path_uuid(request)
    async with request.app[keys.database].read_sessions() as session:
        view = await read_deployment(session, deployment_id)
        flow = await read_flow(session, view.deployment.flow_id)
        upcoming = await filter_flow_runs(session, runs_of(deployment_id, upcoming=True))
        recent = await filter_flow_runs(session, runs_of(deployment_id, upcoming=False))
    deployment = view.deployment
    return {
        "view": view,
        "deployment": deployment,
        "flow": flow,
        "schedules": [(row, describe_schedule(row.schedule)) for row in view.schedules],
        "upcoming": [RunLine.of(row) for row in upcoming],
        "recent": [RunLine.of(row) for row in recent],
        "parameters": parameter_rows(deployment.parameter_openapi_schema, deployment.parameters),
        "defaults": json.dumps(deployment.parameters, indent=2, sort_keys=True),
        "schema": json.dumps(deployment.parameter_openapi_schema or {}, indent=2),
        "live_resources": [f"prefect.deployment.{deployment_id}"],
    }
