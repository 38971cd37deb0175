"""Prefect workers as their work pool sees them: heartbeats, listing, deletion."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import delete, select, update

from models.coordination.work_pools import (
    Worker,
    WorkerStatus,
    WorkPool,
    WorkPoolStatus,
    read_work_pool,
)
from models.db.dialect import upsert
from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import WorkerFilterBody

#: The heartbeat interval assumed for a Prefect worker that did not say its own.
FALLBACK_HEARTBEAT_INTERVAL_SECONDS: Final = 30
#: Heartbeats a Prefect worker may miss before it counts as OFFLINE.
INACTIVITY_HEARTBEAT_MULTIPLE: Final = 3
#: Beyond this, no heartbeat interval keeps a Prefect worker online.
RECENT_HEARTBEAT: Final = timedelta(days=1)


def is_online(worker: Worker, now: datetime) -> bool:
    """ONLINE when its last heartbeat is within three of its intervals, whatever the foreman
    last wrote (the reference reads it so)."""
    if worker.last_heartbeat_time is None:
        return False
    interval = worker.heartbeat_interval_seconds or FALLBACK_HEARTBEAT_INTERVAL_SECONDS
    horizon = now - timedelta(seconds=interval * INACTIVITY_HEARTBEAT_MULTIPLE)
    return worker.last_heartbeat_time > horizon


async def record_worker_heartbeat(
    session: AsyncSession,
    pool_name: str,
    worker_name: str,
    heartbeat_interval_seconds: int | None,
    now: datetime,
) -> WorkPool:
    """Mark the worker ONLINE as of now (creating it the first time) and its pool READY
    if it was NOT_READY; ObjectNotFound for an unknown pool. Safe to repeat."""
    pool = await read_work_pool(session, pool_name)
    row = {
        "work_pool_id": pool.id,
        "name": worker_name,
        "created": now,
        "updated": now,
        "last_heartbeat_time": now,
        "status": WorkerStatus.ONLINE,
    }
    changed = ["last_heartbeat_time", "status", "updated"]
    if heartbeat_interval_seconds is not None:
        row["heartbeat_interval_seconds"] = heartbeat_interval_seconds
        changed.append("heartbeat_interval_seconds")
    dialect = session.get_bind().dialect.name
    statement = upsert(dialect, Worker, key=["work_pool_id", "name"], columns=changed)
    await session.execute(statement.values(row))
    if pool.status == WorkPoolStatus.NOT_READY:
        # A paused pool stays PAUSED; only one waiting for a worker becomes READY.
        await session.execute(
            update(WorkPool)
            .where(WorkPool.id == pool.id, WorkPool.status == WorkPoolStatus.NOT_READY)
            .values(status=WorkPoolStatus.READY, updated=now)
        )
    return pool


async def filter_workers(
    session: AsyncSession, pool_name: str, body: WorkerFilterBody
) -> list[Worker]:
    """The pool's Prefect workers matching the body, latest heartbeat first."""
    pool = await read_work_pool(session, pool_name)
    dialect = session.get_bind().dialect.name
    statement = body.apply(select(Worker).where(Worker.work_pool_id == pool.id), dialect)
    return list(await session.scalars(statement.execution_options(populate_existing=True)))


async def count_online_workers(
    session: AsyncSession, pool_ids: Sequence[UUID], now: datetime
) -> dict[UUID, int]:
    """How many Prefect workers of each pool are online now (`is_online`), by pool id."""
    if not pool_ids:
        return {}
    # A worker silent for a day is offline whatever its interval: the index on the last
    # heartbeat leaves out the pools' long-gone workers.
    recent = await session.scalars(
        select(Worker).where(
            Worker.work_pool_id.in_(pool_ids),
            Worker.last_heartbeat_time > now - RECENT_HEARTBEAT,
        )
    )
    online: dict[UUID, int] = dict.fromkeys(pool_ids, 0)
    for worker in recent:
        online[worker.work_pool_id] += is_online(worker, now)
    return online


async def delete_worker(session: AsyncSession, pool_name: str, worker_name: str) -> None:
    """Forget a Prefect worker; ObjectNotFound for an unknown pool or worker."""
    pool = await read_work_pool(session, pool_name)
    result = await session.execute(
        delete(Worker).where(Worker.work_pool_id == pool.id, Worker.name == worker_name)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise ObjectNotFound("Worker not found.")
