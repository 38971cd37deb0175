"""The `state` queue: task-run states from client events, and what a flow-run state sets off."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import dramatiq
from pydantic import ValidationError

from actors import resources
from actors.counters import release_slots_of_finished_task_runs
from actors.notifications import notify_flow_run_states
from actors.retrying import MAX_BACKOFF_MS, MIN_BACKOFF_MS, retry_persistence
from models.flow_runs import FlowRun, FlowRunState
from models.orchestration.transitions import State
from models.schemas.events import Event, task_run_state_rows
from models.task_runs import mirror_child_flow_run_state, record_task_run_states


@dramatiq.actor(
    queue_name="state",
    max_retries=None,
    retry_when=retry_persistence,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
    throws=(ValidationError,),
)
async def record_task_run_events(events: list[dict[str, Any]]) -> None:
    """Build task runs and their histories from a batch of `prefect.task-run.*` events.

    Idempotent: states are keyed by event id. Order-proof: a run's current state only moves
    to a newer one. An event that cannot be read fails the whole message at once, so it is
    a dead letter with its reason; the API validated it, so this means a bug, not bad input.
    """
    parsed = [Event.model_validate(event) for event in events]
    parsed.sort(key=lambda event: event.occurred)
    rows = [task_run_state_rows(event) for event in parsed]
    await resources.database().write(lambda session: record_task_run_states(session, rows))
    await release_slots_of_finished_task_runs(rows)


@dramatiq.actor(
    queue_name="state",
    max_retries=None,
    retry_when=retry_persistence,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
    throws=(ValueError, KeyError),
)
async def announce_flow_run_states(announcements: list[dict[str, Any]]) -> None:
    """What follows flow runs entering states, once the API has committed them.

    Each announcement is `{"flow_run_id", "state_id", "initial_state"}` (the state's event
    was written and published with it). Matching notification policies get their deliveries,
    and a subflow's state is mirrored onto its placeholder task run. Idempotent: a delivery's
    id and a mirrored state's id derive from the state's.
    """
    async with resources.database().read_sessions() as session:
        entered = []
        for item in announcements:
            flow_run = await session.get(FlowRun, UUID(item["flow_run_id"]))
            state_row = await session.get(FlowRunState, UUID(item["state_id"]))
            if flow_run is not None and state_row is not None:  # else deleted since
                entered.append((flow_run, State.from_row(state_row)))
    await notify_flow_run_states([(run.id, state.id) for run, state in entered])
    subflows = [(run, state) for run, state in entered if run.parent_task_run_id is not None]
    if subflows:  # a write transaction only when there is something to write
        async with resources.database().sessions.begin() as session:
            for flow_run, state in subflows:
                assert flow_run.parent_task_run_id is not None
                await mirror_child_flow_run_state(
                    session, flow_run.parent_task_run_id, flow_run.id, state
                )


def announcement(
    flow_run_id: UUID, state_id: UUID, initial_state: dict[str, Any] | None
) -> dict[str, Any]:
    """One item of an `announce_flow_run_states` message."""
    return {
        "flow_run_id": str(flow_run_id),
        "state_id": str(state_id),
        "initial_state": initial_state,
    }
