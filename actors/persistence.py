"""The `state` queue: task-run states from client events, and what a flow-run state sets off."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import dramatiq
from pydantic import ValidationError

from actors import resources
from actors.retrying import MAX_BACKOFF_MS, MIN_BACKOFF_MS, retry_persistence
from models.events import EVENTS_CHANNEL, insert_events
from models.flow_run_events import flow_run_state_event
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
    async with resources.database().sessions.begin() as session:
        await record_task_run_states(session, rows)


@dramatiq.actor(
    queue_name="state",
    max_retries=None,
    retry_when=retry_persistence,
    min_backoff=MIN_BACKOFF_MS,
    max_backoff=MAX_BACKOFF_MS,
    throws=(ValueError,),
)
async def announce_flow_run_state(
    flow_run_id: str, state_id: str, initial_state: dict[str, Any] | None = None
) -> None:
    """The side effects of a flow run entering a state, once the API has committed it.

    Emits the `prefect.flow-run.<State>` event (its id is the state's, so a redelivered
    message emits nothing new) and mirrors a subflow's state onto its placeholder task run.
    """
    run_id, stored_id = UUID(flow_run_id), UUID(state_id)
    async with resources.database().sessions.begin() as session:
        flow_run = await session.get(FlowRun, run_id)
        state_row = await session.get(FlowRunState, stored_id)
        if flow_run is None or state_row is None:
            return  # the run was deleted since: nothing to announce
        event = await flow_run_state_event(session, flow_run, state_row, initial_state)
        emitted = await insert_events(session, [event])
        if flow_run.parent_task_run_id is not None:
            await mirror_child_flow_run_state(
                session, flow_run.parent_task_run_id, flow_run.id, State.from_row(state_row)
            )
    if emitted:
        await resources.redis_client().publish(EVENTS_CHANNEL, json.dumps([event], default=str))
