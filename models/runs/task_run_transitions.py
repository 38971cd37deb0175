"""Task runs created and moved through the REST API (subflow placeholders, background tasks).

Ordinary task runs arrive as client events (`record_task_run_states`); these are the few a
client creates with `POST /api/task_runs/` and moves with `set_state`.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.orchestration.bookkeeping import enter_state
from models.orchestration.task_run_policy import orchestrate
from models.orchestration.transitions import RunSnapshot, State, Transition
from models.runs.flow_run_transitions import Outcome
from models.runs.task_runs import TaskRun, TaskRunState, current_state_row
from models.schemas.states import StateCreate
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.task_runs import TaskRunCreate


def snapshot_of(task_run: TaskRun, current: TaskRunState | None) -> RunSnapshot:
    return RunSnapshot(
        id=task_run.id,
        kind="task_run",
        state=State.from_row(current) if current is not None else None,
        run_count=task_run.run_count,
        start_time=task_run.start_time,
        end_time=task_run.end_time,
        total_run_time_seconds=task_run.total_run_time_seconds,
        empirical_policy=dict(task_run.empirical_policy or {}),
    )


def write_state(session: AsyncSession, task_run: TaskRun, run: RunSnapshot, state: State) -> State:
    details = {**state.state_details, "task_run_id": str(task_run.id)}
    if task_run.flow_run_id is not None:
        details["flow_run_id"] = str(task_run.flow_run_id)
    changes = enter_state(run, dataclasses.replace(state, state_details=details))
    session.add(TaskRunState(task_run_id=task_run.id, **changes.state.columns()))
    for column, value in changes.columns().items():
        setattr(task_run, column, value)
    task_run.updated = utcnow()
    return changes.state


async def create_task_run(
    session: AsyncSession, body: TaskRunCreate
) -> tuple[TaskRun, TaskRunState | None, bool]:
    """A task run in its first state, or the existing one with that id (and False)."""
    if body.id is not None and (existing := await session.get(TaskRun, body.id)) is not None:
        return existing, await current_state_row(session, existing), False
    now = utcnow()
    proposed = body.state or StateCreate(type=StateType.PENDING)
    first = proposed.proposal(now, keep_timestamp=True)
    task_run = TaskRun(
        id=body.id or uuid4(),
        created=now,
        updated=now,
        name=body.name or f"{body.task_key}-{body.dynamic_key}",
        flow_run_id=body.flow_run_id,
        task_key=body.task_key,
        dynamic_key=body.dynamic_key,
        task_version=body.task_version,
        cache_key=body.cache_key,
        cache_expiration=body.cache_expiration,
        empirical_policy=body.empirical_policy.model_dump(mode="json"),
        tags=body.tags,
        labels=body.labels,
        task_inputs=body.task_inputs,
        expected_start_time=first.scheduled_time or first.timestamp,
        run_count=0,
        flow_run_run_count=0,
        total_run_time_seconds=0.0,
    )
    session.add(task_run)
    await session.flush()
    write_state(session, task_run, snapshot_of(task_run, None), first)
    await session.flush()
    return task_run, await current_state_row(session, task_run), True


async def propose_task_run_state(
    session: AsyncSession, task_run_id: UUID, proposed: State, *, force: bool = False
) -> Outcome:
    task_run = await session.get(TaskRun, task_run_id, with_for_update=True)
    if task_run is None:
        raise ObjectNotFound("Task run not found")
    run = snapshot_of(task_run, await current_state_row(session, task_run))
    decision = orchestrate(Transition(run=run, proposed=proposed, now=utcnow(), force=force))
    entered = decision.entered_state(run)
    if entered is None:
        return Outcome(decision, decision.state, entered=False)
    stored = write_state(session, task_run, run, entered)
    await session.flush()
    return Outcome(decision, stored, entered=True)
