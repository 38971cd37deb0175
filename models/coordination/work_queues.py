"""Work queues: created, read, changed and deleted inside their work pool or by id, their
priorities kept distinct, and their health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, cast
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, Select, delete, func, select, update

from models.coordination.work_pools import (
    AGENT_POOL_TYPE,
    DEFAULT_AGENT_POOL_NAME,
    DEFAULT_QUEUE_NAME,
    WorkPool,
    WorkQueue,
    WorkQueueStatus,
    count_queue_active_slots,
    create_work_pool,
    read_work_pool,
)
from models.db.dialect import insert_ignoring_duplicates
from models.errors import Forbidden, ObjectAlreadyExists, ObjectNotFound
from models.runs.flow_runs import FlowRun

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import WorkQueueFilterBody

#: A queue polled within this long is READY again when it is resumed (as the reference).
RECENT_POLL: Final = timedelta(seconds=60)
#: The reference's health policy of every queue: no Late run, polled within 60 seconds.
MAXIMUM_LATE_RUNS: Final = 0
MAXIMUM_SECONDS_SINCE_LAST_POLLED: Final = 60
#: What the pool-less routes answer (404) for an unknown queue id or name.
QUEUE_NOT_FOUND_DETAIL: Final = "work queue not found"


@dataclass(frozen=True)
class ListedQueue:
    """A work queue with its pool's name and, when it has a limit, the slots its runs hold."""

    queue: WorkQueue
    work_pool_name: str
    active_slots: int | None


@dataclass(frozen=True)
class QueueHealth:
    """What GET /api/work_queues/{id}/status reports."""

    healthy: bool
    late_runs_count: int
    last_polled: datetime | None


def queue_not_found(pool_name: str, queue_name: str) -> ObjectNotFound:
    return ObjectNotFound(f"Work pool queue '{pool_name}/{queue_name}' not found.")


def name_taken(pool_name: str) -> ObjectAlreadyExists:
    return ObjectAlreadyExists(
        f"A work queue with this name already exists in work pool {pool_name!r}."
    )


def with_pool_name() -> Select[Any]:
    """Queues with their pool's name (typed loosely: the filter bodies page any SELECT)."""
    statement = select(WorkQueue, WorkPool.name).join(
        WorkPool, WorkPool.id == WorkQueue.work_pool_id
    )
    return cast("Select[Any]", statement)


async def listed(session: AsyncSession, rows: Sequence[tuple[WorkQueue, str]]) -> list[ListedQueue]:
    """The rows with the active slots of those queues that have a concurrency limit."""
    limited = [queue.id for queue, _ in rows if queue.concurrency_limit is not None]
    slots = await count_queue_active_slots(session, limited)
    return [
        ListedQueue(
            queue,
            pool_name,
            None if queue.concurrency_limit is None else slots.get(queue.id, 0),
        )
        for queue, pool_name in rows
    ]


async def read_one(session: AsyncSession, where: ColumnElement[bool]) -> ListedQueue | None:
    row = (
        await session.execute(
            with_pool_name().where(where).limit(1).execution_options(populate_existing=True)
        )
    ).first()
    if row is None:
        return None
    return (await listed(session, [(row[0], row[1])]))[0]


async def read_pool_queue(session: AsyncSession, pool_name: str, queue_name: str) -> ListedQueue:
    """The queue of that name in that pool; raises ObjectNotFound with the reference's detail."""
    found = await read_one(session, (WorkPool.name == pool_name) & (WorkQueue.name == queue_name))
    if found is None:
        raise queue_not_found(pool_name, queue_name)
    return found


async def read_work_queue(session: AsyncSession, queue_id: UUID) -> ListedQueue:
    """The queue with that id; raises ObjectNotFound."""
    found = await read_one(session, WorkQueue.id == queue_id)
    if found is None:
        raise ObjectNotFound(QUEUE_NOT_FOUND_DETAIL)
    return found


async def read_work_queue_by_name(session: AsyncSession, name: str) -> ListedQueue:
    """The queue of that name in the agents' default pool (any pool when there is none)."""
    agent_pool = await session.scalar(
        select(WorkPool.id).where(WorkPool.name == DEFAULT_AGENT_POOL_NAME)
    )
    where = WorkQueue.name == name
    if agent_pool is not None:
        where = where & (WorkQueue.work_pool_id == agent_pool)
    found = await read_one(session, where)
    if found is None:
        raise ObjectNotFound(QUEUE_NOT_FOUND_DETAIL)
    return found


def first_free_priority(taken: Sequence[int]) -> int:
    """The lowest priority from 1 up that no queue has, or one past the highest."""
    for expected, priority in enumerate(sorted(taken), start=1):
        if priority != expected:
            return expected
    return max(taken, default=0) + 1


async def insert_work_queue(
    session: AsyncSession, pool: WorkPool, values: dict[str, Any], now: datetime
) -> UUID | None:
    """Insert a queue into the pool: at the priority asked for (the others move down), else
    at the first free one. Its id; None when the pool has a queue of that name."""
    priority = values.get("priority")
    taken = list(
        await session.scalars(select(WorkQueue.priority).where(WorkQueue.work_pool_id == pool.id))
    )
    row = {
        "id": uuid4(),
        "created": now,
        "updated": now,
        "work_pool_id": pool.id,
        "status": WorkQueueStatus.NOT_READY,
        **values,
        "priority": priority if priority is not None else first_free_priority(taken),
    }
    if not await insert_ignoring_duplicates(
        session, WorkQueue, [row], key=["work_pool_id", "name"]
    ):
        return None
    if priority is not None:
        await make_priorities_distinct(session, pool.id, {row["id"]: priority})
    queue_id: UUID = row["id"]
    return queue_id


async def create_work_queue(
    session: AsyncSession, pool_name: str, values: dict[str, Any], now: datetime
) -> ListedQueue:
    """A new queue in the pool; ObjectNotFound for an unknown pool, ObjectAlreadyExists for
    a name the pool has. A queue given a priority held by others moves them down."""
    pool = await read_work_pool(session, pool_name)
    queue_id = await insert_work_queue(session, pool, values, now)
    if queue_id is None:
        raise name_taken(pool_name)
    return await read_work_queue(session, queue_id)


async def ensure_work_queue(
    session: AsyncSession, pool: WorkPool, name: str, now: datetime, priority: int | None = None
) -> WorkQueue:
    """The pool's queue of that name, created as `insert_work_queue` creates one if missing
    (the queue a deployment or a run names)."""
    named = select(WorkQueue).where(WorkQueue.work_pool_id == pool.id, WorkQueue.name == name)
    queue = await session.scalar(named)
    if queue is None:
        await insert_work_queue(session, pool, {"name": name, "priority": priority}, now)
        queue = await session.scalar(named)  # ours, or the one a concurrent request made
    assert queue is not None
    return queue


async def read_default_queue(session: AsyncSession, pool: WorkPool, now: datetime) -> WorkQueue:
    """The pool's default queue (made, as `default`, if the pool has none)."""
    if pool.default_queue_id is not None:
        queue = await session.get(WorkQueue, pool.default_queue_id)
        if queue is not None:
            return queue
    queue = await ensure_work_queue(session, pool, DEFAULT_QUEUE_NAME, now)
    pool.default_queue_id = queue.id
    return queue


async def read_or_create_agent_pool(session: AsyncSession, now: datetime) -> tuple[WorkPool, bool]:
    """The agents' default pool, created (with its "default" queue) the first time it is
    needed; and whether it was created now."""
    try:
        return await read_work_pool(session, DEFAULT_AGENT_POOL_NAME), False
    except ObjectNotFound:
        pass
    agents = {"name": DEFAULT_AGENT_POOL_NAME, "type": AGENT_POOL_TYPE}
    try:
        return await create_work_pool(session, agents, now), True
    except ObjectAlreadyExists:  # a concurrent request made it first
        return await read_work_pool(session, DEFAULT_AGENT_POOL_NAME), False


async def create_agent_pool_queue(
    session: AsyncSession, values: dict[str, Any], now: datetime
) -> ListedQueue:
    """A queue created without a pool (Prefect 2's route): it goes in the agents' default
    pool, which is created the first time (with its "default" queue)."""
    pool, created = await read_or_create_agent_pool(session, now)
    if created and values["name"] == DEFAULT_QUEUE_NAME and pool.default_queue_id is not None:
        return await read_work_queue(session, pool.default_queue_id)
    try:
        return await create_work_queue(session, DEFAULT_AGENT_POOL_NAME, values, now)
    except ObjectAlreadyExists:
        raise ObjectAlreadyExists("A work queue with this name already exists.") from None


async def make_priorities_distinct(
    session: AsyncSession, pool_id: UUID, wanted: dict[UUID, int]
) -> None:
    """Give the queues in `wanted` their priority and move the others as little as needed so
    that every queue of the pool has its own priority, in the same order as before."""
    queues = list(
        await session.scalars(
            select(WorkQueue)
            .where(WorkQueue.work_pool_id == pool_id)
            .order_by(WorkQueue.priority, WorkQueue.created)
            .execution_options(populate_existing=True)
        )
    )
    ordered = [queue for queue in queues if queue.id not in wanted]
    for queue in sorted((q for q in queues if q.id in wanted), key=lambda q: wanted[q.id]):
        queue.priority = wanted[queue.id]
        # Before the first queue at the same priority or lower: the one asked for wins.
        at = next((i for i, q in enumerate(ordered) if q.priority >= queue.priority), len(ordered))
        ordered.insert(at, queue)
    last = 0
    for queue in ordered:
        if queue.priority <= last:
            queue.priority = last + 1
        last = queue.priority
    await session.flush()


async def update_queue(
    session: AsyncSession, found: ListedQueue, changes: dict[str, Any], now: datetime
) -> None:
    """Set the fields in `changes`; pausing or resuming sets the status, a new priority
    moves the other queues as little as needed."""
    queue = found.queue
    values = dict(changes)
    if changes.get("is_paused") is True and queue.status != WorkQueueStatus.PAUSED:
        values["status"] = WorkQueueStatus.PAUSED
    if changes.get("is_paused") is False and queue.status == WorkQueueStatus.PAUSED:
        last_polled = changes.get("last_polled", queue.last_polled)
        recent = last_polled is not None and now - last_polled <= RECENT_POLL
        values["status"] = WorkQueueStatus.READY if recent else WorkQueueStatus.NOT_READY
    if "name" in values:
        taken = await session.scalar(
            select(WorkQueue.id).where(
                WorkQueue.work_pool_id == queue.work_pool_id,
                WorkQueue.name == values["name"],
                WorkQueue.id != queue.id,
            )
        )
        if taken is not None:
            raise name_taken(found.work_pool_name)
    priority = values.pop("priority", None)
    await session.execute(
        update(WorkQueue)
        .where(WorkQueue.id == queue.id)
        .values(**values, updated=now)
        .execution_options(synchronize_session=False)
    )
    if priority is not None:
        await make_priorities_distinct(session, queue.work_pool_id, {queue.id: priority})


async def update_pool_queue(
    session: AsyncSession, pool_name: str, queue_name: str, changes: dict[str, Any], now: datetime
) -> None:
    await read_work_pool(session, pool_name)
    await update_queue(session, await read_pool_queue(session, pool_name, queue_name), changes, now)


async def update_work_queue(
    session: AsyncSession, queue_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    found = await read_one(session, WorkQueue.id == queue_id)
    if found is None:
        raise ObjectNotFound(f"Work Queue {queue_id} not found")
    await update_queue(session, found, changes, now)


async def delete_queue(session: AsyncSession, queue: WorkQueue) -> None:
    """Delete a queue that is not its pool's default; the others keep distinct priorities."""
    is_default = await session.scalar(
        select(WorkPool.id).where(WorkPool.default_queue_id == queue.id)
    )
    if is_default is not None:
        raise Forbidden("Can't delete a pool's default queue.")
    await session.execute(delete(WorkQueue).where(WorkQueue.id == queue.id))
    await make_priorities_distinct(session, queue.work_pool_id, {})


async def delete_pool_queue(session: AsyncSession, pool_name: str, queue_name: str) -> None:
    await read_work_pool(session, pool_name)
    await delete_queue(session, (await read_pool_queue(session, pool_name, queue_name)).queue)


async def delete_work_queue(session: AsyncSession, queue_id: UUID) -> None:
    await delete_queue(session, (await read_work_queue(session, queue_id)).queue)


async def filter_pool_queues(
    session: AsyncSession, pool_name: str, body: WorkQueueFilterBody
) -> list[ListedQueue]:
    """The pool's queues matching the body, by priority, one page of them."""
    pool = await read_work_pool(session, pool_name)
    dialect = session.get_bind().dialect.name
    statement = body.apply(with_pool_name().where(WorkQueue.work_pool_id == pool.id), dialect)
    return await listed(
        session, [(queue, pool_name) for queue, pool_name in await session.execute(statement)]
    )


async def filter_work_queues(session: AsyncSession, body: WorkQueueFilterBody) -> list[ListedQueue]:
    """Queues of every pool matching the body, by name (as the reference lists them)."""
    dialect = session.get_bind().dialect.name
    statement = body.page(
        with_pool_name().where(body.where(dialect)).order_by(WorkQueue.name, WorkQueue.id)
    )
    return await listed(
        session, [(queue, pool_name) for queue, pool_name in await session.execute(statement)]
    )


async def read_queue_health(session: AsyncSession, queue_id: UUID, now: datetime) -> QueueHealth:
    """Whether the queue is healthy: no Late run in it, and polled within the last minute."""
    queue = (await read_work_queue(session, queue_id)).queue
    late = await session.scalar(
        select(func.count(FlowRun.id)).where(
            FlowRun.work_queue_id == queue_id, FlowRun.state_name == "Late"
        )
    )
    late = late or 0
    polled_recently = queue.last_polled is not None and (
        (now - queue.last_polled).total_seconds() <= MAXIMUM_SECONDS_SINCE_LAST_POLLED
    )
    return QueueHealth(
        healthy=late <= MAXIMUM_LATE_RUNS and polled_recently,
        late_runs_count=late,
        last_polled=queue.last_polled,
    )
