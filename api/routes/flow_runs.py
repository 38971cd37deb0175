"""Flow runs: create, read, update, delete, list, count, and `set_state` decided right away.

`set_state` is the one write a client waits on: the decision, the new current state and its
`prefect.flow-run.<State>` event are committed together before the answer; subscribers are
sent the event at once, and what else follows (the subflow's placeholder, notifications) is
queued for the `state` actors.
"""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body, read_body_as
from api.responses import (
    json_model,
    json_value,
    json_values,
    no_content,
    orchestration_result,
)
from api.routes.run_states import documented_proposal, read_proposal
from models.db.types import utcnow
from models.filters.bodies import FlowRunCountBody, FlowRunFilterBody
from models.messages.announcements import announcement
from models.runs.flow_run_listing import filter_flow_runs, listed_flow_run
from models.runs.flow_run_resumption import resume_flow_run
from models.runs.flow_run_transitions import Outcome, create_flow_run, propose_flow_run_state
from models.runs.flow_runs import (
    count_flow_runs,
    delete_flow_run,
    read_flow_run,
    update_flow_run,
    update_flow_run_labels,
)
from models.schemas.flow_run_inputs import ResumeRequest
from models.schemas.flow_runs import (
    FlowRunCreate,
    FlowRunResponse,
    FlowRunUpdate,
    flow_run_labels,
)
from models.schemas.states import OrchestrationResultResponse

routes = web.RouteTableDef()

TAG = "Flow runs"


@routes.post("/api/flow_runs/")
@documented(
    "Create a flow run in its first state (PENDING unless given).",
    tag=TAG,
    body=FlowRunCreate,
    response=FlowRunResponse,
    status=201,
)
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunCreate)
    flow_run, state, event = await request.app[keys.database].write(
        lambda session: create_flow_run(session, body)
    )
    response = FlowRunResponse.from_row(flow_run, state)
    if event is not None and state is not None:  # a new run: announce its first state
        request.app[keys.events_hub].publish_soon(event)
        first = announcement(flow_run.id, state.id, None, flow_run.parent_task_run_id)
        await request.app[keys.outbox].flow_run_states.add([first])
    return json_model(response, status=201 if event is not None else 200)


@routes.get("/api/flow_runs/{id}")
@documented("A flow run by id, with its current state.", tag=TAG, response=FlowRunResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow_run, state = await read_flow_run(session, path_uuid(request))
    return json_model(FlowRunResponse.from_row(flow_run, state))


@routes.patch("/api/flow_runs/{id}")
@documented("Change the fields sent (others stay as they are).", tag=TAG,
            body=FlowRunUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, FlowRunUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_flow_run(session, path_uuid(request), changes, utcnow())
    return no_content()


@routes.patch("/api/flow_runs/{id}/labels")
@documented("Add or replace labels; the others are kept.", tag=TAG, status=204)
async def update_labels(request: web.Request) -> web.Response:
    labels = await read_body_as(request, flow_run_labels)
    async with request.app[keys.database].sessions.begin() as session:
        await update_flow_run_labels(session, path_uuid(request), labels, utcnow())
    return no_content()


@routes.delete("/api/flow_runs/{id}")
@documented("Delete a flow run and its state history.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_flow_run(session, path_uuid(request))
    return no_content()


@routes.post("/api/flow_runs/filter")
@documented(
    "Flow runs matching a filter, sorted and paged (at most 200).",
    tag=TAG,
    body=FlowRunFilterBody,
    response=FlowRunResponse,
    response_is_list=True,
)
async def read_matching(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        rows = await filter_flow_runs(session, body)
    now = utcnow()
    return json_values([listed_flow_run(row, now) for row in rows])


@routes.post("/api/flow_runs/count")
@documented("How many flow runs match a filter (a bare integer).", tag=TAG,
            body=FlowRunCountBody)  # fmt: skip
async def count(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunCountBody)
    async with request.app[keys.database].read_sessions() as session:
        total = await count_flow_runs(session, body)
    return json_value(total)


@routes.post("/api/flow_runs/{id}/set_state")
@documented_proposal(
    "Propose a state: ACCEPT, REJECT (with the state to take instead), WAIT or ABORT.", tag=TAG
)
async def set_state(request: web.Request) -> web.Response:
    proposed, force = await read_proposal(request)
    flow_run_id = path_uuid(request)
    outcome = await request.app[keys.database].write(
        lambda session: propose_flow_run_state(session, flow_run_id, proposed, force=force)
    )
    await announce_entered_state(request, flow_run_id, outcome)
    return orchestration_result(outcome)


@routes.post("/api/flow_runs/{id}/resume")
@documented(
    "Resume a paused flow run, with the input its pause waits for: the decision (ABORT when "
    "the run is not paused; 201 when it moved).",
    tag=TAG,
    body=ResumeRequest,
    response=OrchestrationResultResponse,
)
async def resume(request: web.Request) -> web.Response:
    run_input = (await read_body(request, ResumeRequest)).run_input
    flow_run_id = path_uuid(request)
    asked = utcnow()
    outcome = await request.app[keys.database].write(
        lambda session: resume_flow_run(session, flow_run_id, run_input)
    )
    await announce_entered_state(request, flow_run_id, outcome)
    # As the reference answers: 201 when the run entered a state just now, else 200.
    moved = outcome.state is not None and outcome.state.timestamp >= asked
    return orchestration_result(outcome, status=201 if moved else 200)


async def announce_entered_state(request: web.Request, flow_run_id: UUID, outcome: Outcome) -> None:
    """Publish the event of the state a decision entered and queue its side effects.

    Called once the decision is committed: the side effects, which must not be lost, go on
    Redis before the client is answered. A decision that entered no state announces nothing.
    """
    if outcome.entered and outcome.state is not None:
        if outcome.event is not None:
            request.app[keys.events_hub].publish_soon(outcome.event)
        item = announcement(
            flow_run_id, outcome.state.id, outcome.initial, outcome.parent_task_run_id
        )
        await request.app[keys.outbox].flow_run_states.add([item])
