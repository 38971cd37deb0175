"""`/runs/flow-run/<id>`: one flow run, with its states, its task runs on a timeline, its
parameters, logs, artifacts and subflow runs, and the actions its state allows.

Actions post to the REST API (set_state, resume) through actions.js. The page follows the
run's events (task-run events are related to it, so they arrive too); while its process may
be logging it also refreshes every few seconds, so new log lines appear.
"""

from __future__ import annotations

import json
from typing import Any, Final
from uuid import UUID

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from api.ui.listed_runs import ListedRun, listed_runs
from api.ui.log_levels import LOG_LEVELS, SHOWN_ARTIFACTS, SHOWN_LOGS, level_name, log_level_of
from api.ui.timeline import TimelineRun, draw_timeline
from models.coordination.deployments import read_deployment
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.filters.bodies import FlowRunFilterBody
from models.runs.flow_run_graph import read_nodes
from models.runs.flow_run_listing import filter_flow_runs
from models.runs.flow_runs import read_flow_run, read_flow_run_states
from models.runs.flows import read_flow
from models.runs.run_records import read_latest_run_logs, read_run_artifacts
from models.schemas.flow_runs import estimated_run_time
from models.states import TERMINAL_STATE_TYPES, StateType

routes = web.RouteTableDef()

#: Seconds between refreshes of a run that may be logging (log lines have no events).
TAIL_SECONDS: Final = 3
#: State types in which a run's process may be writing log lines.
LOGGING: Final = frozenset(
    {StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.PAUSED}
)
#: Subflow runs listed on the page.
SHOWN_SUBFLOWS: Final = 50
#: State types a run can be cancelled from.
CANCELLABLE: Final = frozenset(
    {StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED}
)


def as_json(value: Any) -> str:
    """Parameters and inputs as indented JSON text (escaped by the template, as all text)."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)


async def read_subflow_runs(session: Any, flow_run_id: UUID) -> list[ListedRun]:
    body = FlowRunFilterBody.model_validate(
        {
            "flow_runs": {"parent_flow_run_id": {"any_": [flow_run_id]}},
            "sort": "START_TIME_ASC",
            "limit": SHOWN_SUBFLOWS,
        }
    )
    return listed_runs(await filter_flow_runs(session, body), {}, utcnow())


@routes.get("/runs/flow-run/{id}", name="flow-run")
@aiohttp_jinja2.template("flow_run.html")
async def flow_run_page(request: web.Request) -> dict[str, Any]:
    flow_run_id = path_uuid(request)
    level = log_level_of(request)
    async with request.app[keys.database].read_sessions() as session:
        flow_run, _ = await read_flow_run(session, flow_run_id)
        flow = await read_flow(session, flow_run.flow_id)
        deployment = None
        if flow_run.deployment_id is not None:
            try:
                deployment = (await read_deployment(session, flow_run.deployment_id)).deployment
            except ObjectNotFound:
                deployment = None
        states = await read_flow_run_states(session, flow_run_id)
        nodes = await read_nodes(session, flow_run_id)
        logs = await read_latest_run_logs(session, "flow_run_id", flow_run_id, level, SHOWN_LOGS)
        artifacts = await read_run_artifacts(session, "flow_run_id", flow_run_id, SHOWN_ARTIFACTS)
        subflow_runs = await read_subflow_runs(session, flow_run_id)
    now = utcnow()
    timeline = draw_timeline(
        [
            TimelineRun(
                node.id, node.kind, node.label, node.state_type, node.start_time, node.end_time
            )
            for node in nodes
        ],
        origin=flow_run.start_time or flow_run.expected_start_time or now,
        now=flow_run.end_time or now if flow_run.state_type in TERMINAL_STATE_TYPES else now,
    )
    state_type = flow_run.state_type
    finished = state_type in TERMINAL_STATE_TYPES
    return {
        "flow_run": flow_run,
        "flow": flow,
        "deployment": deployment,
        "duration": estimated_run_time(
            state_type, flow_run.state_timestamp, flow_run.total_run_time_seconds, now
        ),
        "states": states,
        "timeline": timeline,
        "parameters": as_json(flow_run.parameters),
        "logs": logs,
        "level": level,
        "levels": LOG_LEVELS,
        "level_name": level_name,
        "artifacts": artifacts,
        "subflow_runs": subflow_runs,
        "can_cancel": state_type in CANCELLABLE,
        "can_retry": finished and flow_run.deployment_id is not None,
        "can_pause": state_type is StateType.RUNNING,
        "can_resume": state_type is StateType.PAUSED,
        "state_types": list(StateType),
        "live_resources": [f"prefect.flow-run.{flow_run_id}"],
        "live_poll": TAIL_SECONDS if state_type in LOGGING else None,
    }
