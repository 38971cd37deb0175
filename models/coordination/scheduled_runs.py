"""A deployment's SCHEDULED flow runs: the runner's poll for them, and removing those the
scheduler made when the deployment's schedules change or it is paused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import delete, or_, select, update

from models.coordination.deployments import Deployment
from models.db.types import utcnow
from models.events.deployment_events import record_deployment_event
from models.runs.flow_runs import FlowRun, FlowRunState
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: A run waiting for its deployment's concurrency limit is SCHEDULED too, but it was asked
#: for: it stays.
AWAITING_CONCURRENCY_SLOT = "AwaitingConcurrencySlot"


async def delete_future_auto_scheduled_runs(
    session: AsyncSession, deployment_id: UUID, *, future_only: bool = True
) -> int:
    """Delete the runs the scheduler made for the deployment that have not started yet
    (SCHEDULED, never run); with `future_only`, only those due after now. Returns how many.

    The scheduler makes them again from the deployment's schedules as they are now.
    """
    return await delete_unstarted_runs(
        session, deployment_id, auto_scheduled_only=True, future_only=future_only
    )


async def delete_unstarted_runs(
    session: AsyncSession,
    deployment_id: UUID,
    *,
    auto_scheduled_only: bool = False,
    future_only: bool = False,
) -> int:
    """Delete the deployment's runs that are SCHEDULED and never ran (those waiting for its
    concurrency limit excepted); only the scheduler's, or only those due after now, if
    asked. Returns how many."""
    statement = delete(FlowRun).where(
        FlowRun.deployment_id == deployment_id,
        FlowRun.state_type == StateType.SCHEDULED,
        FlowRun.state_name != AWAITING_CONCURRENCY_SLOT,
        FlowRun.run_count == 0,
    )
    if auto_scheduled_only:
        statement = statement.where(FlowRun.auto_scheduled.is_(True))
    if future_only:
        statement = statement.where(FlowRun.next_scheduled_start_time > utcnow())
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a DELETE's result has one


async def read_scheduled_runs_of_deployments(
    session: AsyncSession,
    deployment_ids: Sequence[UUID],
    scheduled_before: datetime | None,
    limit: int,
) -> list[tuple[FlowRun, FlowRunState | None]]:
    """The deployments' SCHEDULED runs due by `scheduled_before`, soonest first, with their
    current states (what a runner polls for)."""
    statement = (
        select(FlowRun, FlowRunState)
        .outerjoin(FlowRunState, FlowRunState.id == FlowRun.state_id)
        .where(
            FlowRun.deployment_id.in_(deployment_ids),
            FlowRun.state_type == StateType.SCHEDULED,
        )
        .order_by(FlowRun.next_scheduled_start_time.asc().nulls_first(), FlowRun.id)
        .limit(limit)
    )
    if scheduled_before is not None:
        statement = statement.where(FlowRun.next_scheduled_start_time <= scheduled_before)
    rows = await session.execute(statement)
    return [(flow_run, state) for flow_run, state in rows]


async def mark_deployments_polled(
    session: AsyncSession,
    deployment_ids: Sequence[UUID],
    now: datetime,
    work_queue_ids: Sequence[UUID] = (),
) -> list[dict[str, Any]]:
    """A runner polled for these deployments (or a Prefect worker for these work queues):
    they are READY, last polled now. Returns the `prefect.deployment.ready` events of those
    that were not READY before.

    The rows are locked in id order first, so two polls at once wait for each other instead
    of deadlocking, and `updated` is kept: a poll is no change the scheduler must look at.
    """
    if not deployment_ids and not work_queue_ids:
        return []
    polled = list(
        await session.scalars(
            select(Deployment)
            .where(
                or_(
                    Deployment.id.in_(deployment_ids),
                    Deployment.work_queue_id.in_(work_queue_ids),
                )
            )
            .order_by(Deployment.id)
            .with_for_update()
        )
    )
    if not polled:
        return []
    events = [
        await record_deployment_event(session, deployment, "ready")
        for deployment in polled
        if deployment.status != "READY"
    ]
    await session.execute(
        update(Deployment)
        .where(Deployment.id.in_([deployment.id for deployment in polled]))
        .values(last_polled=now, status="READY", updated=Deployment.updated)
        .execution_options(synchronize_session=False)
    )
    return events


@dataclass(frozen=True)
class Poll:
    """What a runner's poll answers (the runs, with their current states) and the events
    it caused."""

    runs: list[tuple[FlowRun, FlowRunState | None]]
    events: list[dict[str, Any]]


async def poll_scheduled_runs(
    session: AsyncSession,
    deployment_ids: Sequence[UUID],
    scheduled_before: datetime | None,
    limit: int,
    now: datetime,
) -> Poll:
    """A runner's poll: the runs it may start, and its deployments marked READY."""
    runs = await read_scheduled_runs_of_deployments(
        session, deployment_ids, scheduled_before, limit
    )
    return Poll(runs, await mark_deployments_polled(session, deployment_ids, now))
