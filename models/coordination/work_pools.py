"""Work pools, their work queues, and the Prefect workers that poll them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.dialect import insert_ignoring_duplicates
from models.errors import Forbidden, ObjectAlreadyExists, ObjectNotFound
from models.filters.base import count_matching, list_matching
from models.runs.flow_runs import FlowRun
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import WorkPoolFilterBody


class WorkPoolStatus(StrEnum):
    """READY while a Prefect worker is online, NOT_READY otherwise, PAUSED while paused."""

    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkQueueStatus(StrEnum):
    """READY while polled recently, NOT_READY otherwise, PAUSED while paused."""

    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkerStatus(StrEnum):
    """ONLINE while its heartbeats arrive, OFFLINE once they stopped."""

    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


class WorkPool(Base):
    """Where deployments' runs wait for a Prefect worker of the pool's type."""

    __tablename__ = "work_pool"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(255))
    base_job_template: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_paused: Mapped[bool] = mapped_column(default=False)
    #: READY while at least one Prefect worker is online, NOT_READY otherwise, PAUSED.
    status: Mapped[str] = mapped_column(String(20), default="NOT_READY")
    concurrency_limit: Mapped[int | None]
    storage_configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # No foreign key: queues already point at their pool, and SQLite cannot ALTER in a cycle.
    default_queue_id: Mapped[UUID | None]


class InWorkPool:
    """The leading columns of a row that belongs to a work pool and is named uniquely in it.

    Declared first (`sort_order`): a mixin's columns otherwise follow the table's own, and
    the tables were created with these first.
    """

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("work_pool_id", "name"),)

    id: Mapped[Id] = mapped_column(sort_order=-1)
    created: Mapped[Created] = mapped_column(sort_order=-1)
    updated: Mapped[Updated] = mapped_column(sort_order=-1)
    work_pool_id: Mapped[UUID] = mapped_column(
        ForeignKey("work_pool.id", ondelete="CASCADE"), sort_order=-1
    )
    name: Mapped[Name] = mapped_column(sort_order=-1)


class WorkQueue(InWorkPool, Base):
    """A queue inside a work pool; lower priority numbers are served first."""

    __tablename__ = "work_queue"

    description: Mapped[str | None] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(default=False)
    concurrency_limit: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=1)
    last_polled: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="NOT_READY")


class Worker(InWorkPool, Base):
    """A Prefect worker process as its pool sees it: alive while it keeps sending heartbeats."""

    __tablename__ = "worker"

    last_heartbeat_time: Mapped[datetime | None] = mapped_column(index=True)
    heartbeat_interval_seconds: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="OFFLINE")


#: Work pool names (case-insensitive prefix) the reference keeps for itself.
RESERVED_PREFIX: Final = "prefect"
#: The type of the pools of Prefect 2's agents: no status of their own.
AGENT_POOL_TYPE: Final = "prefect-agent"
#: The pool of Prefect 2's agents, which holds the queues named without a pool.
DEFAULT_AGENT_POOL_NAME: Final = "default-agent-pool"
#: The name and description of the queue every work pool is created with.
DEFAULT_QUEUE_NAME: Final = "default"
DEFAULT_QUEUE_DESCRIPTION: Final = "The work pool's default queue."
#: States whose flow runs hold one of their pool's and queue's slots.
SLOT_OCCUPYING_STATES: Final = (StateType.PENDING, StateType.RUNNING)


def pool_not_found(name: str) -> ObjectNotFound:
    return ObjectNotFound(f'Work pool "{name}" not found.')


def is_reserved(name: str) -> bool:
    return name.lower().startswith(RESERVED_PREFIX)


async def create_work_pool(
    session: AsyncSession, values: dict[str, Any], now: datetime
) -> WorkPool:
    """A new work pool with its default queue; ObjectAlreadyExists when the name is taken.

    Pools whose name starts with "prefect" are the reference's own: Forbidden.
    """
    if is_reserved(values["name"]):
        raise Forbidden("Work pools starting with 'Prefect' are reserved for internal use.")
    pool_id, queue_id = uuid4(), uuid4()
    status = WorkPoolStatus.PAUSED if values.get("is_paused") else WorkPoolStatus.NOT_READY
    row = {"id": pool_id, "created": now, "updated": now, "status": status, **values}
    if not await insert_ignoring_duplicates(session, WorkPool, [row], key=["name"]):
        raise ObjectAlreadyExists("A work pool with this name already exists.")
    queue = {
        "id": queue_id,
        "created": now,
        "updated": now,
        "work_pool_id": pool_id,
        "name": DEFAULT_QUEUE_NAME,
        "description": DEFAULT_QUEUE_DESCRIPTION,
        "priority": 1,
        "status": WorkQueueStatus.NOT_READY,
    }
    await session.execute(insert(WorkQueue).values(queue))
    await session.execute(
        update(WorkPool).where(WorkPool.id == pool_id).values(default_queue_id=queue_id)
    )
    return await read_work_pool(session, values["name"])


async def read_work_pool(session: AsyncSession, name: str) -> WorkPool:
    """The work pool of that name; raises ObjectNotFound with the reference's detail."""
    pool = await session.scalar(
        select(WorkPool).where(WorkPool.name == name).execution_options(populate_existing=True)
    )
    if pool is None:
        raise pool_not_found(name)
    return pool


async def filter_work_pools(session: AsyncSession, body: WorkPoolFilterBody) -> list[WorkPool]:
    """The work pools matching a filter body, by name, one page of them."""
    return await list_matching(session, select(WorkPool), body)


async def count_work_pools(session: AsyncSession, body: WorkPoolFilterBody) -> int:
    return await count_matching(session, WorkPool.id, body)


async def update_work_pool(
    session: AsyncSession, name: str, changes: dict[str, Any], now: datetime
) -> None:
    """Set the fields in `changes`; pausing or resuming sets the pool's status.

    A reserved pool may only be paused or given a concurrency limit (Forbidden otherwise).
    """
    if is_reserved(name) and set(changes) - {"is_paused", "concurrency_limit"}:
        raise Forbidden(
            "Work pools starting with 'Prefect' are reserved for internal use "
            "and can only be updated to set concurrency limits or pause."
        )
    pool = await read_work_pool(session, name)
    values = dict(changes)
    if pool.type != AGENT_POOL_TYPE and "is_paused" in changes:
        if changes["is_paused"]:
            values["status"] = WorkPoolStatus.PAUSED
        else:
            online = await session.scalar(
                select(func.count(Worker.id)).where(
                    Worker.work_pool_id == pool.id, Worker.status == WorkerStatus.ONLINE
                )
            )
            values["status"] = WorkPoolStatus.READY if online else WorkPoolStatus.NOT_READY
    await session.execute(
        update(WorkPool).where(WorkPool.id == pool.id).values(**values, updated=now)
    )


async def delete_work_pool(session: AsyncSession, name: str) -> None:
    """Delete a work pool with its queues and workers (their rows cascade)."""
    if is_reserved(name):
        raise Forbidden(
            "Work pools starting with 'Prefect' are reserved for internal use and"
            " can not be deleted."
        )
    pool = await read_work_pool(session, name)
    await session.execute(delete(WorkQueue).where(WorkQueue.work_pool_id == pool.id))
    await session.execute(delete(Worker).where(Worker.work_pool_id == pool.id))
    await session.execute(delete(WorkPool).where(WorkPool.id == pool.id))


async def count_pool_active_slots(
    session: AsyncSession,
    pool_ids: Sequence[UUID],
    states: Sequence[StateType] = SLOT_OCCUPYING_STATES,
) -> dict[UUID, int]:
    """Flow runs in `states` per work pool, counted through their queues (pools with none
    are left out)."""
    if not pool_ids:
        return {}
    rows = await session.execute(
        select(WorkQueue.work_pool_id, func.count(FlowRun.id))
        .join(WorkQueue, FlowRun.work_queue_id == WorkQueue.id)
        .where(WorkQueue.work_pool_id.in_(pool_ids), FlowRun.state_type.in_(states))
        .group_by(WorkQueue.work_pool_id)
    )
    return {pool_id: count for pool_id, count in rows}


async def pools_active_slots(session: AsyncSession, pools: Sequence[WorkPool]) -> list[int | None]:
    """Per pool, the flow runs holding its slots; None for a pool without a concurrency limit."""
    limited = [pool.id for pool in pools if pool.concurrency_limit is not None]
    slots = await count_pool_active_slots(session, limited)
    return [None if pool.concurrency_limit is None else slots.get(pool.id, 0) for pool in pools]


async def read_pool_with_slots(session: AsyncSession, name: str) -> tuple[WorkPool, int | None]:
    """The work pool of that name (ObjectNotFound as `read_work_pool`) and its active slots."""
    pool = await read_work_pool(session, name)
    [active_slots] = await pools_active_slots(session, [pool])
    return pool, active_slots


async def count_queue_active_slots(
    session: AsyncSession,
    queue_ids: Sequence[UUID],
    states: Sequence[StateType] = SLOT_OCCUPYING_STATES,
) -> dict[UUID, int]:
    """Flow runs in `states` per work queue (queues with none are left out)."""
    if not queue_ids:
        return {}
    rows = await session.execute(
        select(FlowRun.work_queue_id, func.count(FlowRun.id))
        .where(FlowRun.work_queue_id.in_(queue_ids), FlowRun.state_type.in_(states))
        .group_by(FlowRun.work_queue_id)
    )
    return {queue_id: count for queue_id, count in rows if queue_id is not None}


async def count_pool_queues(session: AsyncSession, pool_ids: Sequence[UUID]) -> dict[UUID, int]:
    """The work queues of each pool (pools with none are left out)."""
    if not pool_ids:
        return {}
    rows = await session.execute(
        select(WorkQueue.work_pool_id, func.count(WorkQueue.id))
        .where(WorkQueue.work_pool_id.in_(pool_ids))
        .group_by(WorkQueue.work_pool_id)
    )
    return {pool_id: count for pool_id, count in rows}
