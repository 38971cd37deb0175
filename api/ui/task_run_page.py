"""`/runs/task-run/<id>`: one task run, with its states, its flow run, its inputs, logs and
artifacts; it follows the task run's events."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.requests import path_uuid
from api.ui.flow_run_page import as_json
from api.ui.log_levels import LOG_LEVELS, SHOWN_ARTIFACTS, SHOWN_LOGS, level_name, log_level_of
from models.errors import ObjectNotFound
from models.runs.flow_runs import FlowRun, read_flow_run
from models.runs.run_records import read_latest_run_logs, read_run_artifacts
from models.runs.task_runs import read_task_run, read_task_run_states

routes = web.RouteTableDef()


@routes.get("/runs/task-run/{id}", name="task-run")
@aiohttp_jinja2.template("task_run.html")
async def task_run_page(request: web.Request) -> dict[str, Any]:
    task_run_id = path_uuid(request)
    level = log_level_of(request)
    async with request.app[keys.database].read_sessions() as session:
        task_run, _ = await read_task_run(session, task_run_id)
        flow_run: FlowRun | None = None
        if task_run.flow_run_id is not None:
            try:
                flow_run, _ = await read_flow_run(session, task_run.flow_run_id)
            except ObjectNotFound:  # its events may arrive before the flow run's
                flow_run = None
        states = await read_task_run_states(session, task_run_id)
        logs = await read_latest_run_logs(session, "task_run_id", task_run_id, level, SHOWN_LOGS)
        artifacts = await read_run_artifacts(session, "task_run_id", task_run_id, SHOWN_ARTIFACTS)
    return {
        "task_run": task_run,
        "flow_run": flow_run,
        "states": states,
        "inputs": as_json(task_run.task_inputs),
        "logs": logs,
        "level": level,
        "levels": LOG_LEVELS,
        "level_name": level_name,
        "artifacts": artifacts,
        "live_resources": [f"prefect.task-run.{task_run_id}"],
    }
