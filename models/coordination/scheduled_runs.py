"""A deployment's SCHEDULED flow runs: the runner's poll for them, and removing those the
scheduler made when the deployment's schedules change or it is paused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select, update

from models.coordination.deployments import Deployment
from models.db.types import utcnow
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
    statement = delete(FlowRun).where(
        FlowRun.deployment_id == deployment_id,
        FlowRun.auto_scheduled.is_(True),
        FlowRun.state_type == StateType.SCHEDULED,
        FlowRun.state_name != AWAITING_CONCURRENCY_SLOT,
        FlowRun.run_count == 0,
    )
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
    session: AsyncSession, deployment_ids: Sequence[UUID], now: datetime
) -> None:
    """A runner polled for these deployments: they are READY, last polled now."""
    await session.execute(
        update(Deployment)
        .where(Deployment.id.in_(deployment_ids))
        .values(last_polled=now, status="READY")
        .execution_options(synchronize_session=False)
    )


async def poll_scheduled_runs(
    session: AsyncSession,
    deployment_ids: Sequence[UUID],
    scheduled_before: datetime | None,
    limit: int,
    now: datetime,
) -> list[tuple[FlowRun, FlowRunState | None]]:
    """A runner's poll: the runs it may start, and its deployments marked READY."""
    runs = await read_scheduled_runs_of_deployments(
        session, deployment_ids, scheduled_before, limit
    )
    await mark_deployments_polled(session, deployment_ids, now)
    return runs
