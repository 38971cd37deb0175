"""Creating flow runs and proposing their states, in the caller's transaction.

The API calls this for `set_state` and the crash detector for a forced CRASHED. The run's row
is locked (PostgreSQL `FOR UPDATE`; SQLite's `BEGIN IMMEDIATE` already holds the write lock),
so two proposals for one run are decided one after the other.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from sqlalchemy import select

from models.errors import ObjectNotFound
from models.flow_runs import FlowRun, FlowRunState
from models.flows import Flow
from models.names import make_run_name
from models.orchestration.bookkeeping import enter_state
from models.orchestration.flow_run_policy import orchestrate
from models.orchestration.transitions import Decision, RunSnapshot, State, Transition
from models.schemas.flow_runs import FlowRunCreate
from models.schemas.states import StateCreate
from models.states import StateType
from models.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Outcome:
    """What the client is answered, and whether the run moved (its side effects are due)."""

    decision: Decision
    state: State | None
    entered: bool
    #: The state the run was in before, as `{"type", "name"}` (None for a new run).
    initial: dict[str, str] | None = None


def snapshot_of(flow_run: FlowRun, current: FlowRunState | None) -> RunSnapshot:
    return RunSnapshot(
        id=flow_run.id,
        kind="flow_run",
        state=State.from_row(current) if current is not None else None,
        run_count=flow_run.run_count,
        start_time=flow_run.start_time,
        end_time=flow_run.end_time,
        total_run_time_seconds=flow_run.total_run_time_seconds,
        empirical_policy=dict(flow_run.empirical_policy or {}),
    )


async def current_state_row(session: AsyncSession, flow_run: FlowRun) -> FlowRunState | None:
    if flow_run.state_id is None:
        return None
    return await session.get(FlowRunState, flow_run.state_id)


def write_state(session: AsyncSession, flow_run: FlowRun, run: RunSnapshot, state: State) -> State:
    """Record `state` as entered: a history row, and the run's bookkeeping and state copy."""
    state = dataclasses.replace(
        state, state_details={**state.state_details, "flow_run_id": str(flow_run.id)}
    )
    changes = enter_state(run, state)
    session.add(FlowRunState(flow_run_id=flow_run.id, **dataclasses.asdict(changes.state)))
    for column, value in changes.columns().items():
        setattr(flow_run, column, value)
    flow_run.updated = utcnow()
    return changes.state


async def propose_flow_run_state(
    session: AsyncSession, flow_run_id: UUID, proposed: State, *, force: bool = False
) -> Outcome:
    """Decide `proposed` for the run and write what the decision enters; raises ObjectNotFound."""
    flow_run = await session.get(FlowRun, flow_run_id, with_for_update=True)
    if flow_run is None:
        raise ObjectNotFound("Flow run not found")
    run = snapshot_of(flow_run, await current_state_row(session, flow_run))
    initial = None if run.state is None else {"type": run.state.type, "name": run.state.name}
    decision = orchestrate(Transition(run=run, proposed=proposed, now=utcnow(), force=force))
    entered = decision.entered_state(run)
    if entered is None:
        return Outcome(decision, decision.state, entered=False, initial=initial)
    stored = write_state(session, flow_run, run, entered)
    await session.flush()
    return Outcome(decision, stored, entered=True, initial=initial)


async def read_flow_run_states(session: AsyncSession, flow_run_id: UUID) -> list[FlowRunState]:
    """The run's state history, oldest first."""
    result = await session.scalars(
        select(FlowRunState)
        .where(FlowRunState.flow_run_id == flow_run_id)
        .order_by(FlowRunState.timestamp, FlowRunState.created)
    )
    return list(result)


async def create_flow_run(
    session: AsyncSession, body: FlowRunCreate
) -> tuple[FlowRun, FlowRunState | None, bool]:
    """A new flow run in its first state (PENDING unless the body says), or the existing one.

    An idempotency key names a run once per flow: asking again returns the first run and
    False, so a retried create never makes two runs.
    """
    if body.idempotency_key is not None:
        existing = await session.scalar(
            select(FlowRun).where(
                FlowRun.flow_id == body.flow_id, FlowRun.idempotency_key == body.idempotency_key
            )
        )
        if existing is not None:
            return existing, await current_state_row(session, existing), False
    if await session.get(Flow, body.flow_id) is None:
        raise ObjectNotFound("Flow not found")
    now = utcnow()
    proposed = body.state or StateCreate(type=StateType.PENDING)
    first = State(
        type=proposed.type,
        name=proposed.name or proposed.type.value.capitalize(),
        timestamp=proposed.timestamp or now,
        message=proposed.message,
        state_details=dict(proposed.state_details),
        data=proposed.data,
    )
    flow_run = FlowRun(
        id=uuid4(),
        created=now,
        updated=now,
        name=body.name or make_run_name(),
        flow_id=body.flow_id,
        flow_version=body.flow_version,
        deployment_id=body.deployment_id,
        parameters=body.parameters,
        context=body.context,
        tags=body.tags,
        labels=body.labels,
        empirical_policy=body.empirical_policy.model_dump(mode="json"),
        job_variables=body.job_variables,
        idempotency_key=body.idempotency_key,
        parent_task_run_id=body.parent_task_run_id,
        work_queue_name=body.work_queue_name,
        work_pool_name=body.work_pool_name,
        infrastructure_document_id=body.infrastructure_document_id,
        created_by=body.created_by,
        expected_start_time=first.scheduled_time or first.timestamp,
        next_scheduled_start_time=(
            first.scheduled_time if first.type is StateType.SCHEDULED else None
        ),
        run_count=0,
        total_run_time_seconds=0.0,
    )
    session.add(flow_run)
    await session.flush()  # the history row points at the run
    run = snapshot_of(flow_run, None)
    write_state(session, flow_run, run, first)
    await session.flush()
    return flow_run, await current_state_row(session, flow_run), True
