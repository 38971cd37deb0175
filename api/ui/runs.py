"""`/runs`: the flow runs, filtered, sorted and paged on the server, newest first.

The page's query becomes the body POST /api/flow_runs/paginate takes, read by the same
listing; the pager counts no further than COUNT_BOUND runs, so a million runs cost no more
than a thousand. New and changed runs on the page arrive through the live stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.ui.listed_runs import ListedRun, flow_ids_of, listed_runs
from api.ui.paging import PAGE_SIZE, Page, requested_page
from models.coordination.deployments import filter_deployments
from models.db.types import utcnow
from models.errors import InvalidRequest
from models.filters.bodies import DeploymentFilterBody, FlowFilterBody
from models.filters.flow_runs import FlowRunSort
from models.runs.flow_run_listing import filter_flow_runs
from models.runs.flow_runs import count_flow_runs_up_to
from models.runs.flows import filter_flows, read_flow_names
from models.schemas.pagination import FlowRunPageBody
from models.states import StateType

routes = web.RouteTableDef()

#: The pager counts matching runs up to this many, then says "more than".
COUNT_BOUND: Final = 10_000
#: Flows and deployments offered in the filters' lists.
CHOICES: Final = 200
#: The sorts offered, each with its label; the first is the default. Duration has no index
#: (nor an API sort), so it is not offered.
SORTS: Final = {
    FlowRunSort.EXPECTED_START_TIME_DESC: "Newest first",
    FlowRunSort.EXPECTED_START_TIME_ASC: "Oldest first",
    FlowRunSort.START_TIME_DESC: "Started, latest first",
    FlowRunSort.START_TIME_ASC: "Started, earliest first",
    FlowRunSort.END_TIME_DESC: "Ended, latest first",
    FlowRunSort.NAME_ASC: "Name, A to Z",
    FlowRunSort.NAME_DESC: "Name, Z to A",
}


def query_time(request: web.Request, name: str) -> datetime | None:
    """A `datetime-local` field of the query, read as UTC (the times the page shows)."""
    text = request.query.get(name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"{name}: not a date and time: {text!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def page_body(request: web.Request) -> FlowRunPageBody:
    """The query of `/runs` as the body of POST /api/flow_runs/paginate."""
    query = request.query
    flow_runs: dict[str, Any] = {}
    state: dict[str, Any] = {}
    if types := [value for value in query.getall("state", []) if value]:
        state["type"] = {"any_": types}
    if state_name := query.get("state_name"):
        state["name"] = {"any_": [state_name]}
    if state:
        flow_runs["state"] = state
    if name := query.get("q"):
        flow_runs["name"] = {"like_": name}
    if tags := [tag.strip() for tag in query.get("tags", "").split(",") if tag.strip()]:
        flow_runs["tags"] = {"all_": tags}
    if deployment := query.get("deployment"):
        flow_runs["deployment_id"] = {"any_": [deployment]}
    after, before = query_time(request, "after"), query_time(request, "before")
    if after or before:
        flow_runs["expected_start_time"] = {"after_": after, "before_": before}
    return FlowRunPageBody.model_validate(
        {
            "flow_runs": flow_runs or None,
            "flows": {"id": {"any_": [query["flow"]]}} if query.get("flow") else None,
            "sort": query.get("sort") or next(iter(SORTS)),
            "limit": PAGE_SIZE,
            "page": requested_page(request),
        }
    )


async def read_deployment_names(session: Any, runs: Sequence[ListedRun]) -> dict[str, str]:
    """The names of the listed runs' deployments, by id as the runs carry it."""
    deployment_ids = sorted({run.deployment_id for run in runs if run.deployment_id})
    if not deployment_ids:
        return {}
    body = DeploymentFilterBody.model_validate(
        {"deployments": {"id": {"any_": deployment_ids}}, "limit": CHOICES}
    )
    views = await filter_deployments(session, body)
    return {str(view.deployment.id): view.deployment.name for view in views}


@routes.get("/runs", name="runs")
@aiohttp_jinja2.template("runs.html")
async def runs_page(request: web.Request) -> dict[str, Any]:
    body = page_body(request)
    now = utcnow()
    async with request.app[keys.database].read_sessions() as session:
        rows = await filter_flow_runs(session, body)
        counted = await count_flow_runs_up_to(session, body, COUNT_BOUND + 1)
        runs = listed_runs(rows, await read_flow_names(session, flow_ids_of(rows)), now)
        deployment_names = await read_deployment_names(session, runs)
        flows = await filter_flows(session, FlowFilterBody(limit=CHOICES))
        deployments = await filter_deployments(session, DeploymentFilterBody(limit=CHOICES))
    return {
        "page": Page.counted(runs, body.page_number, counted, COUNT_BOUND),
        "deployment_names": deployment_names,
        "flows": flows,
        "deployments": [view.deployment for view in deployments],
        "state_types": list(StateType),
        "sorts": SORTS,
        "sort": body.sort,
        "live_resources": ["prefect.flow-run."],
    }
