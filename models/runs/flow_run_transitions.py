"""Creating flow runs and proposing their states, in the caller's transaction.

The API calls this for `create` and `set_state`, the crash detector for a forced CRASHED.
These are the hottest writes of the server, so they are Core statements built once, at
import, and executed with bound parameters: building a statement with `.values(...)` and
computing its cache key costs more than SQLite takes to run it. One SELECT reads the run,
its current state and its flow's name; then an INSERT of the state, an UPDATE of the run
and an INSERT of the event. The run's row is locked (PostgreSQL `FOR UPDATE`; on SQLite,
`BEGIN IMMEDIATE` already holds the write lock), so two proposals for one run are decided
one after the other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import bindparam, select

from models.db.base import Base
from models.db.dialect import per_dialect
from models.db.driver_rows import DriverRows
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.events.flow_run_events import flow_run_state_event
from models.events.tables import EventRow  # noqa: F401  (declares the `event` table used below)
from models.orchestration.bookkeeping import enter_state
from models.orchestration.flow_run_policy import FLOW_RUN_RULES, orchestrate
from models.orchestration.rules import Rule
from models.orchestration.transitions import (
    Decision,
    DeploymentSlot,
    RunSnapshot,
    State,
    Transition,
)
from models.runs.deployment_slots import settle_deployment_slot, try_deployment_slot
from models.runs.flow_run_inputs import forget_flow_run_inputs
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.runs.names import make_run_name
from models.schemas.flow_runs import FlowRunCreate
from models.schemas.states import StateCreate
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Outcome:
    """What the client is answered, and whether the run moved (its side effects are due)."""

    decision: Decision
    state: State | None
    entered: bool
    #: The state the run was in before, as `{"type", "name"}` (None for a new run).
    initial: dict[str, str] | None = None
    #: The `prefect.flow-run.<State>` event written with the state, for subscribers.
    event: dict[str, Any] | None = None
    #: The task run a subflow's run stands for in its parent (its states are mirrored there).
    parent_task_run_id: UUID | None = None


#: The current state's columns, read with the run under `state_` labels.
STATE_COLUMNS = [
    column.label(f"state_{column.name}")
    for column in FlowRunState.__table__.columns
    if column.name in {"type", "name", "timestamp", "message", "state_details", "data"}
]


_runs = Base.metadata.tables["flow_run"]
_states = Base.metadata.tables["flow_run_state"]
_events = Base.metadata.tables["event"]
#: The run, its flow's name and its current state, by `flow_run_id`, the run's row locked.
READ_RUN = (
    select(
        *_runs.columns,
        Flow.name.label("flow_name"),
        # The run row carries a copy of its state's id, type, name and timestamp.
        *(column for column in STATE_COLUMNS if column.name not in _runs.c),
    )
    .join(Flow, Flow.id == _runs.c.flow_id)
    .outerjoin(FlowRunState, FlowRunState.id == _runs.c.state_id)
    .where(_runs.c.id == bindparam("flow_run_id"))
    .with_for_update(of=_runs)
)
READ_FLOW_NAME = select(Flow.name).where(Flow.id == bindparam("flow_id"))
INSERT_RUN = _runs.insert()
#: The columns set are the parameters given, besides `run_id`.
UPDATE_RUN = _runs.update().where(_runs.c.id == bindparam("run_id"))
#: History and event rows carry every column, so SQLite's driver takes them as they are stored.
INSERT_STATE = DriverRows(per_dialect(lambda _: _states.insert()), _states)
INSERT_EVENT = DriverRows(per_dialect(lambda _: _events.insert()), _events)


def snapshot_of(
    flow_run: Any, current: State | None, deployment_slot: DeploymentSlot | None = None
) -> RunSnapshot:
    return RunSnapshot(
        id=flow_run.id,
        kind="flow_run",
        state=current,
        run_count=flow_run.run_count,
        start_time=flow_run.start_time,
        end_time=flow_run.end_time,
        total_run_time_seconds=flow_run.total_run_time_seconds,
        empirical_policy=dict(flow_run.empirical_policy or {}),
        infrastructure_pid=flow_run.infrastructure_pid,
        deployment_id=flow_run.deployment_id,
        parent_task_run_id=flow_run.parent_task_run_id,
        deployment_slot=deployment_slot,
    )


def write_state(
    session: Session,
    flow_run: Any,
    flow_name: str,
    run: RunSnapshot,
    state: State,
    initial: dict[str, str] | None,
    *,
    new_run: dict[str, Any] | None = None,
) -> tuple[State, dict[str, Any], dict[str, Any]]:
    """Record `state` as entered: a history row, the run's bookkeeping, and its event.

    The event is written in the same transaction as the state, so the event table never
    disagrees with the run's history. `new_run` is the row of a run being created, inserted
    here with its state already copied in. Returns the stored state, the run's changed
    columns and the event.
    """
    state = dataclasses.replace(
        state, state_details={**state.state_details, "flow_run_id": str(flow_run.id)}
    )
    changes = enter_state(run, state)
    now = utcnow()
    columns = {**changes.columns(), "updated": now}
    connection = session.connection()
    if new_run is not None:
        connection.execute(INSERT_RUN, {**new_run, **columns})
    else:
        # Only the columns that change: SQLite rewrites the entries of every index on a
        # column the UPDATE sets, changed or not (start_time, end_time and others are
        # indexed), and that was most of a transition's page writes.
        changed = {
            name: value for name, value in columns.items() if getattr(flow_run, name) != value
        }
        connection.execute(UPDATE_RUN, {**changed, "run_id": flow_run.id})
    INSERT_STATE.execute(
        connection, [{"flow_run_id": flow_run.id, "created": now, **changes.state.columns()}]
    )
    if changes.state.type is StateType.PAUSED:
        # Inputs under this pause's keys belong to an earlier attempt that met the same pause.
        keyset = changes.state.state_details.get("run_input_keyset") or {}
        forget_flow_run_inputs(session, flow_run.id, keyset.values())
    event = flow_run_state_event(flow_run, flow_name, changes.state, initial)
    # The event is ours and new (its id is the new state's): no validation, no conflict.
    INSERT_EVENT.execute(connection, [event_row(event, changes.state, now)])
    return changes.state, columns, event


def event_row(event: dict[str, Any], state: State, received: Any) -> dict[str, Any]:
    """The `event` table's row for a `prefect.flow-run.<State>` event built here."""
    return {
        "id": state.id,
        "occurred": state.timestamp,
        "received": received,
        "event": event["event"],
        "resource_id": event["resource"]["prefect.resource.id"],
        "resource": event["resource"],
        "related": event["related"],
        "payload": event["payload"],
        "follows": None,
    }


def propose_flow_run_state(
    session: Session,
    flow_run_id: UUID,
    proposed: State,
    *,
    force: bool = False,
    rules: Sequence[Rule] = FLOW_RUN_RULES,
    slot_wait_seconds: float = 30.0,
) -> Outcome:
    """Decide `proposed` for the run and write what the decision enters; raises ObjectNotFound.

    `rules` is the orchestration policy deciding it (a service may use a narrower one, as
    marking runs late does). A run refused its deployment's concurrency slot is offered again
    `slot_wait_seconds` later. Synchronous: run it with `Database.write`.
    """
    flow_run = session.connection().execute(READ_RUN, {"flow_run_id": flow_run_id}).one_or_none()
    if flow_run is None:
        raise ObjectNotFound("Flow run not found")
    current = None
    if flow_run.state_type is not None:
        current = State(
            id=flow_run.state_id or uuid4(),
            type=flow_run.state_type,
            name=flow_run.state_name,
            timestamp=flow_run.state_timestamp,
            message=flow_run.state_message,
            state_details=dict(flow_run.state_state_details or {}),
            data=flow_run.state_data,
        )
    now = utcnow()
    # The deployment's concurrency slot is taken before the rules decide, settled after.
    tried = try_deployment_slot(
        session, flow_run, current, proposed, now, force=force, wait_seconds=slot_wait_seconds
    )
    run = snapshot_of(flow_run, current, tried.slot)
    initial = None if current is None else {"type": current.type, "name": current.name}
    transition = Transition(run=run, proposed=tried.proposed, now=now, force=force)
    decision = orchestrate(transition, rules)
    entered = settle_deployment_slot(
        session, current, decision, decision.entered_state(run), tried, now
    )
    if entered is None:
        return Outcome(decision, decision.state, entered=False, initial=initial)
    stored, _, event = write_state(session, flow_run, flow_run.flow_name, run, entered, initial)
    return Outcome(
        decision,
        stored,
        entered=True,
        initial=initial,
        event=event,
        parent_task_run_id=flow_run.parent_task_run_id,
    )


def create_flow_run(
    session: Session, body: FlowRunCreate, columns: Mapping[str, Any] | None = None
) -> tuple[FlowRun, FlowRunState | None, dict[str, Any] | None]:
    """A new flow run in its first state (PENDING unless the body says), or the existing one.

    `columns` sets what the body cannot say (a run made from a deployment: its version,
    work queue and work pool ids).

    Returns the run, its current state, and the event of its first state (None when the
    run existed already: an idempotency key names a run once per flow, so a retried
    create never makes two runs). Synchronous: run it with `Database.write`.
    """
    if body.idempotency_key is not None:
        existing = session.scalar(
            select(FlowRun).where(
                FlowRun.flow_id == body.flow_id, FlowRun.idempotency_key == body.idempotency_key
            )
        )
        if existing is not None:
            state = session.get(FlowRunState, existing.state_id) if existing.state_id else None
            return existing, state, None
    flow_name = session.connection().execute(READ_FLOW_NAME, {"flow_id": body.flow_id}).scalar()
    if flow_name is None:
        raise ObjectNotFound("Flow not found")
    now = utcnow()
    proposed = body.state or StateCreate(type=StateType.PENDING)
    first = proposed.proposal(now, keep_timestamp=True)
    values: dict[str, Any] = {
        "id": uuid4(),
        "created": now,
        "updated": now,
        "name": body.name or make_run_name(),
        "flow_id": body.flow_id,
        "flow_version": body.flow_version,
        "deployment_id": body.deployment_id,
        "parameters": body.parameters,
        "context": body.context,
        "tags": body.tags,
        "labels": body.labels,
        "empirical_policy": body.empirical_policy.model_dump(mode="json"),
        "job_variables": body.job_variables,
        "idempotency_key": body.idempotency_key,
        "parent_task_run_id": body.parent_task_run_id,
        "work_queue_name": body.work_queue_name,
        "work_pool_name": body.work_pool_name,
        "infrastructure_document_id": body.infrastructure_document_id,
        "created_by": body.created_by,
        "expected_start_time": first.scheduled_time or first.timestamp,
        "next_scheduled_start_time": (
            first.scheduled_time if first.type is StateType.SCHEDULED else None
        ),
        "run_count": 0,
        "total_run_time_seconds": 0.0,
        "auto_scheduled": False,
        **(columns or {}),
    }
    flow_run = FlowRun(**values)  # not added to the session: write_state inserts the row
    stored, columns, event = write_state(
        session, flow_run, flow_name, snapshot_of(flow_run, None), first, None, new_run=values
    )
    for column, value in columns.items():
        setattr(flow_run, column, value)
    state_row = FlowRunState(flow_run_id=flow_run.id, created=now, **stored.columns())
    return flow_run, state_row, event
