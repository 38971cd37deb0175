"""The `state` queue: task-run states from client events, and what a flow-run state sets off."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from uuid import UUID

import dramatiq
from pydantic import ValidationError

from actors import resources
from actors.automations import evaluate_events
from actors.counters import release_slots_of_finished_task_runs
from actors.enqueue import enqueue
from actors.refused_records import RecordRefused, store_or_split
from actors.retrying import PERSISTENCE_OPTIONS
from models.events.tables import insert_events
from models.messages.announcements import Announcement, announcement_batch, may_be_subflow
from models.messages.event_batches import QueuedEvent, received_events
from models.runs.flow_runs import SubflowState, read_subflow_states
from models.runs.task_runs import (
    any_task_run_holds_a_lease,
    mirror_child_flow_run_state,
    record_task_run_states,
)
from models.schemas.task_run_events_fast_path import read_task_run_state_events

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


@dramatiq.actor(queue_name="state", throws=(ValidationError, RecordRefused), **PERSISTENCE_OPTIONS)
async def record_task_run_events(events: list[QueuedEvent]) -> None:
    """Build task runs and their histories from a batch of `prefect.task-run.*` events.

    These events reach only this actor: each is stored in the `event` table here, with
    the rows it makes, in one transaction for the batch. Idempotent: states and events
    are keyed by event id. Order-proof: a run's current state only moves to a newer one.
    An event that cannot be read as a task-run state (the API validated it as an event,
    so this means a bug, not bad input) must not cost the others: in a batch it is sent
    on alone, and a message of one such event stores it as an event and then fails at
    once, so it becomes a dead letter with its reason. See `QueuedEvent` for where each
    event is checked.
    """
    received = received_events(events)
    rows, rejected = read_task_run_state_events(received)
    if rejected and len(received) == 1:
        # It is still an event, so the feed keeps it; if it is not even an event, this
        # raises, and that ValidationError is the dead letter's reason instead.
        await resources.database().write(lambda session: insert_events(session, received))
        raise rejected[0].error
    if rows:

        def store(session: Session) -> bool:
            record_task_run_states(session, rows)
            return any_task_run_holds_a_lease(session)

        async def store_rows() -> None:
            if await resources.database().write(store):
                await release_slots_of_finished_task_runs(rows)
            # Committed: the automations may see these events now.
            await enqueue(evaluate_events, [str(row.event["id"]) for row in rows])

        # Rows the database refuses are split off until each is a dead letter alone; the
        # halves carry the readable events only (the rejected ones go on alone below).
        refused = {id(event) for event, _ in rejected}
        readable: list[QueuedEvent] = [event for event in received if id(event) not in refused]
        await store_or_split(
            readable, store_rows, lambda half: enqueue(record_task_run_events, half)
        )
    # After the good ones are stored: should sending fail, the retry stores nothing twice.
    for event, error in rejected:
        logger.warning(
            "A task-run event cannot be read (%s); it goes on alone to become a dead letter.",
            str(error).splitlines()[0],
        )
        await enqueue(record_task_run_events, [event])


@dramatiq.actor(
    queue_name="state",
    throws=(ValueError,),  # pydantic's ValidationError is one, and so is a bad UUID
    **PERSISTENCE_OPTIONS,
)
async def announce_flow_run_states(announcements: list[Announcement]) -> None:
    """What follows flow runs entering states, once the API has committed them.

    Each `Announcement` names a flow run and the state it entered (the state's event, whose
    id is the state's, was written and published with it). The state events are handed to
    the automations' evaluator, which notification policies are evaluated by too, and a
    subflow's state is mirrored onto its placeholder task run. Idempotent: the evaluator
    counts an event once per trigger, and a mirrored state's id derives from the state's.
    """
    announcements = announcement_batch.validate_python(announcements)
    # Only a subflow's states are read here (notifications read what they need): most runs
    # have no parent.
    subflow_state_ids = [UUID(item["state_id"]) for item in announcements if may_be_subflow(item)]
    subflow_states: list[SubflowState] = []
    if subflow_state_ids:
        async with resources.database().read_sessions() as session:
            subflow_states = await read_subflow_states(session, subflow_state_ids)
    await enqueue(evaluate_events, [str(item["state_id"]) for item in announcements])
    if subflow_states:  # a write transaction only when there is something to write
        async with resources.database().sessions.begin() as session:
            for entered in subflow_states:
                await mirror_child_flow_run_state(
                    session, entered.parent_task_run_id, entered.flow_run_id, entered.state
                )
