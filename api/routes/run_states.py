"""What flow runs and task runs share in the API: the state-history routes, served for each
kind of run from one definition, how a set_state route reads and describes its request, and
how a route that creates a flow run announces its first state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from aiohttp import web

from api import keys
from api.openapi import Handler, documented
from api.outbox import OwedMessage, owe_announcements
from api.requests import ID, path_uuid, query_uuid, read_body
from api.responses import json_model, json_models
from models.db.types import utcnow
from models.messages.announcements import announcement
from models.runs.flow_runs import (
    FlowRun,
    FlowRunState,
    read_flow_run_state,
    read_flow_run_states,
)
from models.runs.task_runs import TaskRunState, read_task_run_state, read_task_run_states
from models.schemas.states import OrchestrationResultResponse, SetStateRequest, StateResponse

if TYPE_CHECKING:
    from models.orchestration.transitions import State

routes = web.RouteTableDef()

StateRow = FlowRunState | TaskRunState
# The session is typed Any: a route module names no sqlalchemy type.
ReadStates = Callable[[Any, UUID], Awaitable[Sequence[StateRow]]]
ReadState = Callable[[Any, UUID], Awaitable[StateRow]]


def documented_proposal(summary: str, *, tag: str) -> Callable[[Handler], Handler]:
    """The description of a set_state route: a proposed state in, the decision out (201)."""
    return documented(
        summary, tag=tag, body=SetStateRequest, response=OrchestrationResultResponse, status=201
    )


async def read_proposal(request: web.Request) -> tuple[State, bool]:
    """The state a set_state body proposes, timestamped now, and whether it is forced."""
    body = await read_body(request, SetStateRequest)
    return body.state.proposal(utcnow()), body.force


CreatedRun = tuple[FlowRun, FlowRunState | None, dict[str, Any] | None]


def owing_first_state(
    create: Callable[[Any], CreatedRun],
) -> Callable[[Any], tuple[CreatedRun, OwedMessage | None]]:
    """`create` (a flow run, its first state, the state's event; no event when the run
    existed) as a unit of work that also writes the first state's announcement into the
    outbox, in the same transaction."""

    def create_and_owe(session: Any) -> tuple[CreatedRun, OwedMessage | None]:
        flow_run, state, event = created = create(session)
        if event is None or state is None:
            return created, None
        first = announcement(flow_run.id, state.id, None, flow_run.parent_task_run_id)
        return created, owe_announcements(session, [first])

    return create_and_owe


async def announce_created_flow_run(
    request: web.Request,
    flow_run: FlowRun,
    state: FlowRunState | None,
    event: dict[str, Any] | None,
    owed: OwedMessage | None,
) -> bool:
    """A flow run just created: its event goes to subscribers at once, and its first state's
    announcement, committed in the outbox, is relayed to Redis. False (nothing announced)
    when the run already existed: its creation is answered without an event."""
    if event is None or state is None:
        return False
    request.app[keys.events_hub].publish_soon(event)
    await request.app[keys.outbox].relay.relay(owed)
    return True


def serve_state_history(run: str, tag: str, read_states: ReadStates, read_state: ReadState) -> None:
    """Add GET /api/<run>_states/?<run>_id= and GET /api/<run>_states/{id} to `routes`."""
    words = run.replace("_", " ")

    @routes.get(f"/api/{run}_states/")
    @documented(
        f"The state history of a {words}, oldest first.",
        tag=tag,
        response=StateResponse,
        response_is_list=True,
        query={f"{run}_id": f"the {words}"},
    )
    async def read_history(request: web.Request) -> web.Response:
        run_id = query_uuid(request, f"{run}_id")
        async with request.app[keys.database].read_sessions() as session:
            states = await read_states(session, run_id)
        return json_models([StateResponse.from_row(state) for state in states], StateResponse)

    @routes.get(f"/api/{run}_states/{ID}")
    @documented(f"One {run.replace('_', '-')} state by id.", tag=tag, response=StateResponse)
    async def read_history_row(request: web.Request) -> web.Response:
        async with request.app[keys.database].read_sessions() as session:
            state = await read_state(session, path_uuid(request))
        return json_model(StateResponse.from_row(state))


serve_state_history("flow_run", "Flow runs", read_flow_run_states, read_flow_run_state)
serve_state_history("task_run", "Task runs", read_task_run_states, read_task_run_state)
