"""Opening a Prefect worker's channel: its work pool (created when the worker may), the
queues it polls, and its first heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from models.coordination.work_pools import (
    WorkPool,
    WorkQueue,
    create_work_pool,
    is_reserved,
    read_pool_with_slots,
    read_work_pool,
)
from models.coordination.work_queues import queue_not_found
from models.coordination.workers import record_worker_heartbeat
from models.errors import Forbidden, ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class OpenedChannel:
    """The pool a channel serves as it is now, with the queues its worker polls."""

    pool: WorkPool
    active_slots: int | None
    queues: list[tuple[UUID, str]]


async def open_worker_channel(
    session: AsyncSession,
    pool_name: str,
    worker_name: str,
    worker_type: str,
    heartbeat_interval_seconds: int,
    queue_names: list[str],
    create_pool: bool,
    default_base_job_template: dict[str, Any],
    now: datetime,
) -> OpenedChannel:
    """Resolve what the worker's hello asks for and record its first heartbeat.

    An unknown pool is created (of the worker's type, with its default template) when the
    worker asks and the name is not reserved; otherwise ObjectNotFound or Forbidden, as for
    an unknown queue. A pool without a template is given the worker's default one.
    """
    try:
        pool = await read_work_pool(session, pool_name)
    except ObjectNotFound:
        if not create_pool:
            raise
        if is_reserved(pool_name):
            raise Forbidden("work_pool_creation_unauthorized") from None
        values = {
            "name": pool_name,
            "type": worker_type,
            "base_job_template": default_base_job_template,
        }
        try:
            pool = await create_work_pool(session, values, now)
        except ObjectAlreadyExists:  # another worker created it a moment ago
            pool = await read_work_pool(session, pool_name)
    if not pool.base_job_template and default_base_job_template:
        await session.execute(
            update(WorkPool)
            .where(WorkPool.id == pool.id)
            .values(base_job_template=default_base_job_template, updated=now)
        )
    rows = await session.execute(
        select(WorkQueue.id, WorkQueue.name)
        .where(WorkQueue.work_pool_id == pool.id)
        .order_by(WorkQueue.priority, WorkQueue.name)
    )
    queues = [(queue_id, name) for queue_id, name in rows]
    if queue_names:
        by_name = dict((name, queue_id) for queue_id, name in queues)
        for name in dict.fromkeys(queue_names):
            if name not in by_name:
                raise queue_not_found(pool_name, name)
        queues = [(by_name[name], name) for name in dict.fromkeys(queue_names)]
    await record_worker_heartbeat(session, pool_name, worker_name, heartbeat_interval_seconds, now)
    pool, active_slots = await read_pool_with_slots(session, pool_name)
    return OpenedChannel(pool, active_slots, queues)
