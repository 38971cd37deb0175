"""Flow runs: create, read, update, delete, list, count, page, and `set_state` decided right
away; their history, lateness and graph, their logs as a file, and bulk deletes and states.

`set_state` is the one write a client waits on: the decision, the new current state and its
`prefect.flow-run.<State>` event are committed together before the answer; subscribers are
sent the event at once, and what else follows (the subflow's placeholder, notifications) is
queued for the `state` actors.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from aiohttp import web

from api import keys
from api.openapi import documented
from api.outbox import OwedMessage, owe_announcements
from api.requests import ID, path_uuid, query_datetime, read_body, read_body_as
from api.responses import (
    json_model,
    json_models,
    json_value,
    json_values,
    no_content,
    orchestration_result,
)
from api.routes.run_states import (
    announce_created_flow_run,
    documented_proposal,
    owing_first_state,
    read_proposal,
)
from models.db.types import utcnow
from models.filters.bodies import FlowRunCountBody, FlowRunFilterBody
from models.messages.announcements import announcement
from models.runs.flow_run_bulk import delete_flow_runs, set_flow_run_states
from models.runs.flow_run_graph import read_flow_run_graph
from models.runs.flow_run_listing import filter_flow_runs, listed_flow_run, paginate_flow_runs
from models.runs.flow_run_resumption import resume_flow_run
from models.runs.flow_run_transitions import create_flow_run, propose_flow_run_state
from models.runs.flow_runs import (
    count_flow_runs,
    delete_flow_run,
    read_flow_run,
    update_flow_run,
    update_flow_run_labels,
)
from models.runs.log_download import download_flow_run_logs
from models.runs.run_history import average_flow_run_lateness, flow_run_history
from models.schemas.flow_run_bulk import (
    FlowRunBulkDelete,
    FlowRunBulkDeleteResponse,
    FlowRunBulkSetState,
    FlowRunBulkSetStateResponse,
)
from models.schemas.flow_run_graph import Graph
from models.schemas.flow_run_inputs import ResumeRequest
from models.schemas.flow_runs import (
    FlowRunCreate,
    FlowRunResponse,
    FlowRunUpdate,
    flow_run_labels,
)
from models.schemas.pagination import FlowRunPageBody
from models.schemas.run_history import FlowRunHistoryBody, HistoryInterval
from models.schemas.states import OrchestrationResultResponse

if TYPE_CHECKING:
    from models.runs.flow_run_transitions import Outcome

routes = web.RouteTableDef()

TAG = "Flow runs"
#: A graph with no `since` shows every node, as the reference.
EARLIEST: Final = datetime.min.replace(tzinfo=UTC)


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
    (flow_run, state, event), owed = await request.app[keys.database].write(
        owing_first_state(lambda session: create_flow_run(session, body))
    )
    created = await announce_created_flow_run(request, flow_run, state, event, owed)
    return json_model(FlowRunResponse.from_row(flow_run, state), status=201 if created else 200)


@routes.get(f"/api/flow_runs/{ID}")
@documented("A flow run by id, with its current state.", tag=TAG, response=FlowRunResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        flow_run, state = await read_flow_run(session, path_uuid(request))
    return json_model(FlowRunResponse.from_row(flow_run, state))


@routes.patch(f"/api/flow_runs/{ID}")
@documented("Change the fields sent (others stay as they are).", tag=TAG,
            body=FlowRunUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, FlowRunUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_flow_run(session, path_uuid(request), changes, utcnow())
    return no_content()


@routes.patch(f"/api/flow_runs/{ID}/labels")
@documented("Add or replace labels; the others are kept.", tag=TAG, status=204)
async def update_labels(request: web.Request) -> web.Response:
    labels = await read_body_as(request, flow_run_labels)
    async with request.app[keys.database].sessions.begin() as session:
        await update_flow_run_labels(session, path_uuid(request), labels, utcnow())
    return no_content()


@routes.delete(f"/api/flow_runs/{ID}")
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


@routes.post(f"/api/flow_runs/{ID}/set_state")
@documented_proposal(
    "Propose a state: ACCEPT, REJECT (with the state to take instead), WAIT or ABORT.", tag=TAG
)
async def set_state(request: web.Request) -> web.Response:
    proposed, force = await read_proposal(request)
    flow_run_id = path_uuid(request)
    wait = request.app[keys.settings].deployment_concurrency_slot_wait_seconds
    [(_, outcome)], owed = await request.app[keys.database].write(
        owing_entered_states(
            lambda session: [
                (
                    flow_run_id,
                    propose_flow_run_state(
                        session, flow_run_id, proposed, force=force, slot_wait_seconds=wait
                    ),
                )
            ]
        )
    )
    await announce_entered_states(request, [(flow_run_id, outcome)], owed)
    return orchestration_result(outcome)


@routes.post(f"/api/flow_runs/{ID}/resume")
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
    [(_, outcome)], owed = await request.app[keys.database].write(
        owing_entered_states(
            lambda session: [(flow_run_id, resume_flow_run(session, flow_run_id, run_input))]
        )
    )
    await announce_entered_states(request, [(flow_run_id, outcome)], owed)
    # As the reference answers: 201 when the run entered a state just now, else 200.
    moved = outcome.state is not None and outcome.state.timestamp >= asked
    return orchestration_result(outcome, status=201 if moved else 200)


Decisions = list[tuple[UUID, "Outcome"]]


def owing_entered_states(
    decide: Callable[[Any], Decisions],
) -> Callable[[Any], tuple[Decisions, OwedMessage | None]]:
    """`decide` as a unit of work that also writes the announcements of the states it entered
    into the outbox, in the same transaction: they are durable exactly when the states are."""

    def decide_and_owe(session: Any) -> tuple[Decisions, OwedMessage | None]:
        outcomes = decide(session)
        entered = [
            announcement(flow_run_id, outcome.state.id, outcome.initial, outcome.parent_task_run_id)
            for flow_run_id, outcome in outcomes
            if outcome.entered and outcome.state is not None
        ]
        return outcomes, owe_announcements(session, entered)

    return decide_and_owe


async def announce_entered_states(
    request: web.Request, outcomes: Decisions, owed: OwedMessage | None
) -> None:
    """The side effects of committed decisions: the events go to subscribers at once, and the
    announcements, committed in the outbox, are relayed to Redis (later, if it is away)."""
    for _, outcome in outcomes:
        if outcome.entered and outcome.state is not None and outcome.event is not None:
            request.app[keys.events_hub].publish_soon(outcome.event)
    await request.app[keys.outbox].relay.relay(owed)


@routes.post("/api/flow_runs/paginate")
@documented("One page of the flow runs matching a filter, with their count and pages.",
            tag=TAG, body=FlowRunPageBody)  # fmt: skip
async def paginate(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunPageBody)
    async with request.app[keys.database].read_sessions() as session:
        rows, total = await paginate_flow_runs(session, body)
    now = utcnow()
    return json_values(body.answer([listed_flow_run(row, now) for row in rows], total))


@routes.post("/api/flow_runs/history")
@documented("Matching flow runs counted per interval of expected start time and per state.",
            tag=TAG, body=FlowRunHistoryBody, response=HistoryInterval,
            response_is_list=True)  # fmt: skip
async def history(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunHistoryBody)
    async with request.app[keys.database].read_sessions() as session:
        intervals = await flow_run_history(session, body, utcnow())
    return json_models(intervals, HistoryInterval)


@routes.post("/api/flow_runs/lateness")
@documented("Average seconds the matching flow runs started late (null when none match).",
            tag=TAG, body=FlowRunCountBody)  # fmt: skip
async def lateness(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunCountBody)
    async with request.app[keys.database].read_sessions() as session:
        average = await average_flow_run_lateness(session, body, utcnow())
    return json_value(average)


@routes.get(f"/api/flow_runs/{ID}/graph-v2")
@documented(
    "The run's task runs and subflow runs as a graph, with artifacts and states.",
    tag=TAG,
    response=Graph,
    query={"since": "only nodes ending at or after this time"},
)
async def graph(request: web.Request) -> web.Response:
    since = query_datetime(request, "since", EARLIEST)
    async with request.app[keys.database].read_sessions() as session:
        run_graph = await read_flow_run_graph(session, path_uuid(request), since)
    return json_model(run_graph)


@routes.get(f"/api/flow_runs/{ID}/logs/download")
@documented("The run's logs, oldest first, as a CSV file.", tag=TAG)
async def download_logs(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.database].read_sessions() as session:
        download = await download_flow_run_logs(session, path_uuid(request))
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/csv; charset=utf-8",
                "Content-Disposition": 'attachment; filename="flow-run-logs.csv"; '
                f"filename*=UTF-8''{download.quoted_filename}",
            }
        )
        await response.prepare(request)
        async for chunk in download.chunks:
            await response.write(chunk.encode())
    await response.write_eof()
    return response


@routes.post("/api/flow_runs/bulk_delete")
@documented("Delete up to 50 flow runs matching a filter, with their states and logs.",
            tag=TAG, body=FlowRunBulkDelete, response=FlowRunBulkDeleteResponse)  # fmt: skip
async def bulk_delete(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunBulkDelete)
    async with request.app[keys.database].sessions.begin() as session:
        deleted = await delete_flow_runs(session, body)
    return json_model(FlowRunBulkDeleteResponse(deleted=deleted))


@routes.post("/api/flow_runs/bulk_set_state")
@documented("Propose one state to each of up to 50 flow runs matching a filter.",
            tag=TAG, body=FlowRunBulkSetState, response=FlowRunBulkSetStateResponse)  # fmt: skip
async def bulk_set_state(request: web.Request) -> web.Response:
    body = await read_body(request, FlowRunBulkSetState)
    outcomes, owed = await request.app[keys.database].write(
        owing_entered_states(lambda session: set_flow_run_states(session, body))
    )
    await announce_entered_states(request, outcomes, owed)
    return json_model(body.results(outcomes))
