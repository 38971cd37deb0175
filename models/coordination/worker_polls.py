"""What a Prefect worker polling its work pool gets: the scheduled flow runs it may submit,
by queue priority within the pool's and queues' concurrency limits; and what a poll records
(queues and deployments READY, last polled now).

Several Prefect workers polling one pool may be handed the same run: the orchestration
rule on PENDING lets only the first submission through, as on the reference server.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select, update

from models.coordination.deployments import Deployment
from models.coordination.work_pools import (
    WorkQueue,
    WorkQueueStatus,
    count_queue_active_slots,
    read_work_pool,
)
from models.coordination.work_queues import queue_not_found, read_work_queue
from models.runs.flow_runs import FlowRun, FlowRunState
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

#: Runs counted against a pool's and its queues' limits when a Prefect worker polls.
POOL_POLL_OCCUPYING_STATES: Final = (StateType.PENDING, StateType.RUNNING)
#: Runs counted against a queue's limit by the pool-less GET runs of one queue.
QUEUE_POLL_OCCUPYING_STATES: Final = (StateType.PENDING, StateType.RUNNING, StateType.CANCELLING)
#: Runs one poll hands out at most when it does not say (the reference's default limit).
DEFAULT_POLL_LIMIT: Final = 200
#: Where a run without a scheduled start time sorts: after every other.
LAST: Final = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ScheduledRun:
    """A flow run a Prefect worker may submit, with the pool and queue it came from."""

    work_pool_id: UUID
    work_queue_id: UUID
    flow_run: FlowRun
    state: FlowRunState | None


@dataclass(frozen=True)
class Poll:
    """The answer to one poll, and the queues it polled (to record as polled)."""

    runs: list[ScheduledRun]
    polled_queues: list[WorkQueue]


def free_slots(limit: int | None, taken: int) -> int | None:
    """Slots left under a concurrency limit (None: no limit)."""
    return None if limit is None else max(0, limit - taken)


def at_most(*bounds: int | None) -> int:
    return min(bound for bound in bounds if bound is not None)


def due(
    scheduled_before: datetime | None, scheduled_after: datetime | None
) -> list[ColumnElement[bool]]:
    """SCHEDULED runs due in the window, except those retrying inside their own process."""
    retry_type = FlowRun.empirical_policy["retry_type"].as_string()
    clauses = [
        FlowRun.state_type == StateType.SCHEDULED,
        or_(retry_type.is_(None), retry_type != "in_process"),
    ]
    if scheduled_before is not None:
        clauses.append(FlowRun.next_scheduled_start_time <= scheduled_before)
    if scheduled_after is not None:
        clauses.append(FlowRun.next_scheduled_start_time >= scheduled_after)
    return clauses


async def due_runs_of_queue(
    session: AsyncSession, queue_id: UUID, window: list[ColumnElement[bool]], limit: int
) -> list[FlowRun]:
    """The queue's next `limit` due runs, soonest first (one index range scan)."""
    if limit <= 0:
        return []
    statement = (
        select(FlowRun)
        .where(FlowRun.work_queue_id == queue_id, *window)
        .order_by(FlowRun.next_scheduled_start_time)
        .limit(limit)
    )
    return list(await session.scalars(statement))


async def current_states(
    session: AsyncSession, runs: Sequence[FlowRun]
) -> dict[UUID, FlowRunState]:
    state_ids = [run.state_id for run in runs if run.state_id is not None]
    if not state_ids:
        return {}
    states = await session.scalars(select(FlowRunState).where(FlowRunState.id.in_(state_ids)))
    return {state.id: state for state in states}


async def get_scheduled_flow_runs(
    session: AsyncSession,
    pool_name: str,
    queue_names: Sequence[str] | None,
    scheduled_before: datetime | None,
    scheduled_after: datetime | None = None,
    limit: int = DEFAULT_POLL_LIMIT,
) -> Poll:
    """The due runs of the pool's (or the named) queues that a Prefect worker may submit.

    Nothing from a paused pool or queue. Queues are served by priority (lower first), each
    queue's runs soonest first; a pool or queue with a concurrency limit hands out no more
    than its free slots (its PENDING and RUNNING runs hold the others). Raises
    ObjectNotFound for an unknown pool or queue.
    """
    pool = await read_work_pool(session, pool_name)
    queues = list(
        await session.scalars(
            select(WorkQueue)
            .where(WorkQueue.work_pool_id == pool.id)
            .order_by(WorkQueue.priority, WorkQueue.name)
            .execution_options(populate_existing=True)
        )
    )
    if queue_names:
        by_name = {queue.name: queue for queue in queues}
        for name in queue_names:
            if name not in by_name:
                raise queue_not_found(pool_name, name)
        queues = [queue for queue in queues if queue.name in set(queue_names)]
    open_queues = [queue for queue in queues if not queue.is_paused]
    if pool.is_paused or not open_queues:
        return Poll([], queues)

    # Slots are held by the PENDING and RUNNING runs of the open queues (as the reference
    # counts them for the pool too: a paused queue's runs do not hold the pool's slots).
    # Without limits there is nothing to count.
    counted = (
        open_queues
        if pool.concurrency_limit is not None
        else [queue for queue in open_queues if queue.concurrency_limit is not None]
    )
    queue_taken = await count_queue_active_slots(
        session, [queue.id for queue in counted], POOL_POLL_OCCUPYING_STATES
    )
    pool_free = free_slots(pool.concurrency_limit, sum(queue_taken.values()))
    wanted = at_most(limit, pool_free)
    window = due(scheduled_before, scheduled_after)
    picked: list[tuple[WorkQueue, FlowRun]] = []
    for priority in sorted({queue.priority for queue in open_queues}):
        if len(picked) >= wanted:
            break  # higher-priority queues already fill the answer
        level: list[tuple[WorkQueue, FlowRun]] = []
        for queue in (q for q in open_queues if q.priority == priority):
            room = at_most(
                wanted - len(picked),
                free_slots(queue.concurrency_limit, queue_taken.get(queue.id, 0)),
            )
            level += [
                (queue, run) for run in await due_runs_of_queue(session, queue.id, window, room)
            ]
        level.sort(key=lambda pair: pair[1].next_scheduled_start_time or LAST)
        picked += level[: wanted - len(picked)]

    states = await current_states(session, [run for _, run in picked])
    runs = [
        ScheduledRun(pool.id, queue.id, run, states.get(run.state_id) if run.state_id else None)
        for queue, run in picked
    ]
    return Poll(runs, queues)


async def get_runs_in_work_queue(
    session: AsyncSession,
    queue_id: UUID,
    scheduled_before: datetime | None,
    limit: int = DEFAULT_POLL_LIMIT,
) -> tuple[WorkQueue, list[tuple[FlowRun, FlowRunState | None]]]:
    """The due runs of one queue, soonest first, within its concurrency limit (here its
    CANCELLING runs hold slots too, as the reference counts them); none while paused."""
    queue = (await read_work_queue(session, queue_id)).queue
    if queue.is_paused:
        return queue, []
    taken = await count_queue_active_slots(session, [queue.id], QUEUE_POLL_OCCUPYING_STATES)
    room = at_most(limit, free_slots(queue.concurrency_limit, taken.get(queue.id, 0)))
    runs = await due_runs_of_queue(session, queue.id, due(scheduled_before, None), room)
    states = await current_states(session, runs)
    return queue, [(run, states.get(run.state_id) if run.state_id else None) for run in runs]


def record_queue_polls(session: Session, queues: Sequence[WorkQueue], now: datetime) -> None:
    """The queues were polled now; those NOT_READY become READY, and the deployments that
    run from them are READY, polled now.

    Runs on the writer thread; repeating it changes nothing but the times.
    """
    if not queues:
        return
    queue_ids = [queue.id for queue in queues]
    session.execute(
        update(WorkQueue)
        .where(WorkQueue.id.in_(queue_ids))
        .values(last_polled=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(WorkQueue)
        .where(WorkQueue.id.in_(queue_ids), WorkQueue.status == WorkQueueStatus.NOT_READY)
        .values(status=WorkQueueStatus.READY)
        .execution_options(synchronize_session=False)
    )
    mark_deployments_polled(session, queue_ids, now)


def mark_deployments_polled(session: Session, queue_ids: Sequence[UUID], now: datetime) -> None:
    """The deployments of these queues are READY, polled now.

    `updated` is kept as it is: the scheduler reschedules recently updated deployments,
    and a poll changes nothing it needs to look at again.
    """
    session.execute(
        update(Deployment)
        .where(Deployment.work_queue_id.in_(queue_ids))
        .values(status="READY", last_polled=now, updated=Deployment.updated)
        .execution_options(synchronize_session=False)
    )
