"""Task runs: read, list, count, page, their history; and the few created and moved through
REST.

Most task runs never touch these routes: the client reports them as events, and the `state`
actors build them. Subflow placeholders and background tasks are created here.
"""

from __future__ import annotations

from aiohttp import web

from api import keys
from api.openapi import documented
from api.outbox import owe_background_run
from api.requests import ID, path_uuid, read_body
from api.responses import (
    json_model,
    json_models,
    json_value,
    json_values,
    no_content,
    orchestration_result,
)
from api.routes.run_states import documented_proposal, read_proposal
from models.db.types import utcnow
from models.filters.bodies import TaskRunCountBody, TaskRunFilterBody
from models.runs.background_tasks import is_background_schedule
from models.runs.run_history import task_run_history
from models.runs.task_run_transitions import create_task_run, propose_task_run_state
from models.runs.task_runs import (
    count_task_runs,
    delete_task_run,
    filter_task_runs,
    paginate_task_runs,
    read_task_run,
)
from models.schemas.pagination import TaskRunPageBody
from models.schemas.run_history import HistoryInterval, TaskRunHistoryBody
from models.schemas.task_runs import TaskRunCreate, TaskRunResponse

routes = web.RouteTableDef()

TAG = "Task runs"


@routes.post("/api/task_runs/")
@documented(
    "Create a task run in its first state (subflow placeholders, background tasks).",
    tag=TAG,
    body=TaskRunCreate,
    response=TaskRunResponse,
    status=201,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, TaskRunCreate)
    owed = None
    async with request.app[keys.database].sessions.begin() as session:
        task_run, state, created = await create_task_run(session, body)
        response = TaskRunResponse.from_row(task_run, state)
        if created and is_background_schedule(state):  # for task workers, once committed
            owed = await session.run_sync(owe_background_run, task_run.task_key, task_run.id, state)
    await request.app[keys.outbox].relay.relay(owed)
    return json_model(response, status=201 if created else 200)


@routes.get(f"/api/task_runs/{ID}")
@documented("A task run by id, with its current state.", tag=TAG,
            response=TaskRunResponse)  # fmt: skip
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        task_run, state = await read_task_run(session, path_uuid(request))
    return json_model(TaskRunResponse.from_row(task_run, state))


@routes.delete(f"/api/task_runs/{ID}")
@documented("Delete a task run with its state history.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_task_run(session, path_uuid(request))
    return no_content()


@routes.post("/api/task_runs/filter")
@documented(
    "Task runs matching a filter, sorted and paged (at most 200).",
    tag=TAG,
    body=TaskRunFilterBody,
    response=TaskRunResponse,
    response_is_list=True,
)
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, TaskRunFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        runs = await filter_task_runs(session, body)
    now = utcnow()
    responses = [TaskRunResponse.from_row(run, state, now) for run, state in runs]
    return json_models(responses, TaskRunResponse)


@routes.post("/api/task_runs/count")
@documented("How many task runs match a filter (a bare integer).", tag=TAG,
            body=TaskRunCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, TaskRunCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_task_runs(session, body)
    return json_value(total)


@routes.post(f"/api/task_runs/{ID}/set_state")
@documented_proposal("Propose a state for a task run created through REST.", tag=TAG)
async def set_state(request: web.Request) -> web.Response:
    proposed, force = await read_proposal(request)
    task_run_id = path_uuid(request)
    owed = None
    async with request.app[keys.database].sessions.begin() as session:
        outcome = await propose_task_run_state(session, task_run_id, proposed, force=force)
        task_run, _ = await read_task_run(session, task_run_id)
        if outcome.entered and is_background_schedule(outcome.state):  # a retry, or run again
            owed = await session.run_sync(
                owe_background_run, task_run.task_key, task_run.id, outcome.state
            )
    await request.app[keys.outbox].relay.relay(owed)
    return orchestration_result(outcome)


@routes.post("/api/task_runs/paginate")
@documented("One page of the task runs matching a filter, with their count and pages.",
            tag=TAG, body=TaskRunPageBody)  # fmt: skip
async def paginate(request: web.Request) -> web.Response:
    body = await read_body(request, TaskRunPageBody)
    async with request.app[keys.database].read_sessions() as session:
        runs, total = await paginate_task_runs(session, body)
    now = utcnow()
    results = [
        TaskRunResponse.from_row(run, state, now).model_dump(mode="json") for run, state in runs
    ]
    return json_values(body.answer(results, total))


@routes.post("/api/task_runs/history")
@documented("Matching task runs counted per interval of expected start time and per state.",
            tag=TAG, body=TaskRunHistoryBody, response=HistoryInterval,
            response_is_list=True)  # fmt: skip
async def history(request: web.Request) -> web.Response:
    body = await read_body(request, TaskRunHistoryBody)
    async with request.app[keys.database].read_sessions() as session:
        intervals = await task_run_history(session, body, utcnow())
    return json_models(intervals, HistoryInterval)
