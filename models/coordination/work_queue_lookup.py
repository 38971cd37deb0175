"""Finding the work queue a deployment or its run is sent to, by the names the client gives,
making the queue (or the default agent pool) when the reference would make it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final
from uuid import UUID, uuid4

from sqlalchemy import func, select

from models.coordination.work_pools import WorkPool, WorkQueue
from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The pool that holds queues named without a pool, as Prefect's server keeps it.
DEFAULT_AGENT_POOL_NAME: Final = "default-agent-pool"
DEFAULT_AGENT_POOL_TYPE: Final = "prefect-agent"
DEFAULT_QUEUE_NAME: Final = "default"


def pool_not_found(name: str) -> ObjectNotFound:
    return ObjectNotFound(f'Work pool "{name}" not found.')


async def read_work_pool_named(session: AsyncSession, name: str) -> WorkPool:
    """The work pool of that name; raises ObjectNotFound naming it."""
    pool = await session.scalar(select(WorkPool).where(WorkPool.name == name))
    if pool is None:
        raise pool_not_found(name)
    return pool


async def add_work_queue(
    session: AsyncSession, pool: WorkPool, name: str, now: datetime
) -> WorkQueue:
    """A new queue in the pool, served after the pool's other queues."""
    lowest = await session.scalar(
        select(func.max(WorkQueue.priority)).where(WorkQueue.work_pool_id == pool.id)
    )
    queue = WorkQueue(
        id=uuid4(),
        created=now,
        updated=now,
        work_pool_id=pool.id,
        name=name,
        priority=(lowest or 0) + 1,
    )
    session.add(queue)
    await session.flush()
    return queue


async def ensure_work_queue(
    session: AsyncSession, pool: WorkPool, name: str, now: datetime
) -> WorkQueue:
    """The pool's queue of that name, made if it does not exist yet."""
    queue = await session.scalar(
        select(WorkQueue).where(WorkQueue.work_pool_id == pool.id, WorkQueue.name == name)
    )
    return queue if queue is not None else await add_work_queue(session, pool, name, now)


async def default_work_queue(session: AsyncSession, pool: WorkPool, now: datetime) -> WorkQueue:
    """The pool's default queue (made, as `default`, if the pool has none)."""
    if pool.default_queue_id is not None:
        queue = await session.get(WorkQueue, pool.default_queue_id)
        if queue is not None:
            return queue
    queue = await ensure_work_queue(session, pool, DEFAULT_QUEUE_NAME, now)
    pool.default_queue_id = queue.id
    return queue


async def ensure_default_agent_pool(session: AsyncSession, now: datetime) -> WorkPool:
    """The default agent pool, made with its default queue the first time it is needed."""
    pool = await session.scalar(select(WorkPool).where(WorkPool.name == DEFAULT_AGENT_POOL_NAME))
    if pool is None:
        pool = WorkPool(
            id=uuid4(), created=now, updated=now, name=DEFAULT_AGENT_POOL_NAME,
            type=DEFAULT_AGENT_POOL_TYPE, base_job_template={}, status="NOT_READY",
        )  # fmt: skip
        session.add(pool)
        await session.flush()
        await default_work_queue(session, pool, now)
    return pool


async def resolve_work_queue(
    session: AsyncSession, pool_name: str | None, queue_name: str | None, now: datetime
) -> tuple[UUID | None, str | None]:
    """The queue (id, name) that a pool name and a queue name send work to, as the reference
    resolves them: a named pool must exist (ObjectNotFound naming it), its named queue is
    made if missing, no queue means the pool's default; a queue without a pool lives in the
    default agent pool; neither is no queue."""
    if pool_name and pool_name != DEFAULT_AGENT_POOL_NAME:
        pool = await read_work_pool_named(session, pool_name)
    elif pool_name or queue_name:
        pool = await ensure_default_agent_pool(session, now)
    else:
        return None, None
    if queue_name:
        queue = await ensure_work_queue(session, pool, queue_name, now)
    else:
        queue = await default_work_queue(session, pool, now)
    return queue.id, queue.name
