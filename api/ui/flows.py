"""`/flows` and `/flows/flow/<id>`: the flows, each with its latest run and deployments; a
flow's page with its runs by state over time, its runs page by page and its deployments."""

from __future__ import annotations

from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from api.ui.histogram import TIME_RANGES, Frame, draw_histogram
from api.ui.listed_runs import listed_runs
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from api.ui.state_history import chosen_time_range, history_body
from models.coordination.deployments import count_deployments_of_flows, filter_deployments
from models.db.types import utcnow
from models.filters.bodies import DeploymentFilterBody, FlowRunCountBody, FlowRunFilterBody
from models.runs.flow_run_listing import filter_flow_runs_ids_first
from models.runs.flow_runs import count_flow_runs_up_to
from models.runs.flows import paginate_flows, read_flow, read_latest_flow_runs
from models.runs.run_history import count_flow_runs_by_interval
from models.schemas.pagination import FlowPageBody

routes = web.RouteTableDef()

#: A flow's runs are counted up to this many: enough to page through, never a full count.
RUN_COUNT_CAP: Final = 10_000
#: Deployments a flow's page lists.
LISTED_DEPLOYMENTS: Final = 50
#: The flow's histogram is smaller than the dashboard's.
FLOW_HISTOGRAM: Final = Frame(height=150)


@routes.get("/flows", name="flows")
@aiohttp_jinja2.template("flows.html")
async def flows_page(request: web.Request) -> dict[str, Any]:
    search = request.query.get("name", "").strip()
    body = FlowPageBody.model_validate(
        {
            "flows": {"name": {"like_": search}} if search else None,
            "sort": "NAME_ASC",
            "limit": PAGE_SIZE,
            "page": requested_page(request),
        }
    )
    async with request.app[keys.database].read_sessions() as session:
        flows, total = await paginate_flows(session, body)
        flow_ids = [flow.id for flow in flows]
        latest = await read_latest_flow_runs(session, flow_ids)
        deployments = await count_deployments_of_flows(session, flow_ids)
    rows = [(flow, latest.get(flow.id), deployments.get(flow.id, 0)) for flow in flows]
    return {"search": search, "page": Page.counted(rows, body.page_number, total)}


@routes.get("/flows/flow/{flow_id}", name="flow")
@aiohttp_jinja2.template("flow.html")
async def flow_page(request: web.Request) -> dict[str, Any]:
    flow_id = path_uuid(request, "flow_id")
    time_range = chosen_time_range(request)
    number = requested_page(request)
    now = utcnow()
    of_flow = {"flows": {"id": {"any_": [flow_id]}}}
    runs_body = FlowRunFilterBody.model_validate(
        {
            **of_flow,
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": PAGE_SIZE,
            "offset": page_offset(number),
        }
    )
    deployments_body = DeploymentFilterBody.model_validate({**of_flow, "limit": LISTED_DEPLOYMENTS})
    async with request.app[keys.database].read_sessions() as session:
        flow = await read_flow(session, flow_id)
        counts = await count_flow_runs_by_interval(session, history_body(time_range, now, of_flow))
        rows = await filter_flow_runs_ids_first(session, runs_body)
        run_count = await count_flow_runs_up_to(
            session, FlowRunCountBody.model_validate(of_flow), RUN_COUNT_CAP + 1
        )
        deployments = await filter_deployments(session, deployments_body)
    return {
        "flow": flow,
        "time_range": time_range,
        "time_ranges": TIME_RANGES.values(),
        "histogram": draw_histogram(counts, FLOW_HISTOGRAM),
        "runs": Page.counted(
            listed_runs(rows, {flow.id: flow.name}, now), number, run_count, RUN_COUNT_CAP
        ),
        "deployments": deployments,
        "live_resources": ["prefect.flow-run."],
    }
