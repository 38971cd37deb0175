"""Leases: slots held on concurrency limits until released, or until their holder stops renewing.

A lease's slots go back exactly once, whichever comes first: the client's release, the
holder task run reaching a terminal state, or the expiry sweep. Each of those locks the
lease rows it gives back (FOR UPDATE on PostgreSQL; SQLite lets one writer in at a time)
and deletes them in the same transaction, so the others find nothing left to give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import ColumnElement, and_, delete, exists, func, insert, select, update

from models.concurrency.slots import (
    Acquisition,
    Mode,
    create_missing_limits,
    give_back_slots,
    limits_to_take,
    read_limits_by_name,
    refuse_slots,
    take_slots,
)
from models.concurrency.tables import ConcurrencyLease, ConcurrencyLeaseLimit
from models.db.base import Base

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The shortest lease a client may ask for. Prefect's server asks for 60 s at least; ours
#: allows shorter ones, which only matters to tests that watch a lease run out.
MIN_LEASE_SECONDS: Final = 1.0
#: The longest lease a client may ask for (a day, as Prefect).
MAX_LEASE_SECONDS: Final = 24 * 60 * 60.0
#: Leases of the v1 API: its clients cannot renew, so they hold until released.
V1_LEASE_DURATION: Final = timedelta(days=100 * 365)

# Plain tables: the hot path skips the ORM's bookkeeping.
LEASES = Base.metadata.tables[ConcurrencyLease.__tablename__]
LEASE_LIMITS = Base.metadata.tables[ConcurrencyLeaseLimit.__tablename__]


async def create_lease(
    session: AsyncSession,
    limit_ids: Sequence[UUID],
    slots: int,
    duration: timedelta,
    now: datetime,
    holder: dict[str, Any] | None = None,
) -> UUID:
    """Record that `slots` are held on each of `limit_ids` until `now + duration`."""
    lease_id = uuid4()
    await session.execute(
        insert(LEASES).values(
            id=lease_id, created=now, expires_at=now + duration, slots=slots, holder=holder
        )
    )
    if limit_ids:
        await session.execute(
            insert(LEASE_LIMITS),
            [{"lease_id": lease_id, "limit_id": limit_id} for limit_id in limit_ids],
        )
    return lease_id


async def acquire_leased_slots(
    session: AsyncSession,
    names: Sequence[str],
    slots: int,
    mode: Mode,
    now: datetime,
    duration: timedelta,
    holder: dict[str, Any] | None = None,
    *,
    create_if_missing: bool = False,
) -> tuple[Acquisition, UUID | None]:
    """Take `slots` on every active limit named under a new lease, or on none of them.

    Returns the acquisition and the lease (None when no limit is known, or when refused).
    Raises InvalidRequest as `acquire_slots` does; a refusal is counted, so commit it.
    `create_if_missing` first creates the unknown names as inactive limits.
    """
    if create_if_missing:
        await create_missing_limits(session, names)
    limits = await read_limits_by_name(session, names)
    if not limits:
        return Acquisition([], []), None
    ids = limits_to_take(limits, slots, mode)
    unix_now = now.timestamp()
    if not all(limit.has_room(slots, unix_now) for limit in limits):  # full as read
        return await refuse_slots(session, limits, ids, slots, unix_now), None
    # The lease is written before the limits are touched: on PostgreSQL the row lock that
    # lines up the acquirers of one limit is then held for one statement and the commit,
    # not for the inserts as well.
    lease_id = await create_lease(session, ids, slots, duration, now, holder)
    if not ids or await take_slots(session, ids, slots, unix_now):
        return Acquisition(limits, ids), lease_id
    await session.execute(delete(LEASES).where(LEASES.c.id == lease_id))
    return await refuse_slots(session, limits, ids, slots, unix_now), None


async def renew_lease(
    session: AsyncSession, lease_id: UUID, duration: timedelta, now: datetime
) -> bool:
    """Push a live lease's expiry to `now + duration`; False when it is gone or has expired."""
    result = await session.execute(
        update(LEASES)
        .where(LEASES.c.id == lease_id, LEASES.c.expires_at > now)
        .values(expires_at=now + duration)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def release_lease(session: AsyncSession, lease_id: UUID, now: datetime) -> bool:
    """Give back the slots of one lease; False when it was already released or swept."""
    return await release_leases(session, ConcurrencyLease.id == lease_id, now) > 0


async def expire_leases(session: AsyncSession, now: datetime, limit: int) -> int:
    """Give back the slots of up to `limit` leases that expired before `now`; how many."""
    return await release_leases(
        session, ConcurrencyLease.expires_at < now, now, limit=limit, skip_locked=True
    )


async def release_task_run_leases(
    session: AsyncSession, task_run_ids: Iterable[UUID], now: datetime
) -> int:
    """Give back what these task runs still hold (they reached a terminal state)."""
    return await release_held_leases(session, "task_run", task_run_ids, now)


async def release_flow_run_leases(
    session: AsyncSession, flow_run_ids: Iterable[UUID], now: datetime
) -> int:
    """Give back the deployment slots these flow runs still hold (they are being deleted)."""
    return await release_held_leases(session, "flow_run", flow_run_ids, now)


async def release_held_leases(
    session: AsyncSession, holder_type: str, holder_ids: Iterable[UUID], now: datetime
) -> int:
    """Give back every lease held by one of these holders of one type."""
    ids = sorted({str(holder_id) for holder_id in holder_ids})
    if not ids:
        return 0
    holder = ConcurrencyLease.holder
    held_by_them = and_(
        holder["type"].as_string() == holder_type, holder["id"].as_string().in_(ids)
    )
    return await release_leases(session, held_by_them, now)


async def release_limit_leases(
    session: AsyncSession, limit_id: UUID, now: datetime, holder_id: UUID | None = None
) -> int:
    """Give back every lease on one limit (a reset), or only those of one holder."""
    on_limit: ColumnElement[bool] = ConcurrencyLease.id.in_(
        select(ConcurrencyLeaseLimit.lease_id).where(ConcurrencyLeaseLimit.limit_id == limit_id)
    )
    if holder_id is not None:
        on_limit = and_(on_limit, ConcurrencyLease.holder["id"].as_string() == str(holder_id))
    return await release_leases(session, on_limit, now)


async def release_leases(
    session: AsyncSession,
    which: ColumnElement[bool],
    now: datetime,
    *,
    limit: int | None = None,
    skip_locked: bool = False,
) -> int:
    """Delete the leases `which` selects and give their slots back; returns how many.

    The lease rows are locked by the statement that reads them (FOR UPDATE; on SQLite the
    write transaction is alone anyway), so a lease released twice at once gives its slots
    back once: the second transaction waits, then finds it gone (or, with `skip_locked`,
    passes it by).
    """
    chosen: ColumnElement[bool] = which
    if limit is not None:
        chosen = LEASES.c.id.in_(
            select(LEASES.c.id).where(which).order_by(LEASES.c.id).limit(limit)
        )
    rows = (
        await session.execute(
            select(LEASES.c.id, LEASES.c.slots, LEASES.c.created, LEASE_LIMITS.c.limit_id)
            .select_from(LEASES.outerjoin(LEASE_LIMITS, LEASE_LIMITS.c.lease_id == LEASES.c.id))
            .where(chosen)
            .with_for_update(of=LEASES, skip_locked=skip_locked)
        )
    ).all()
    if not rows:
        return 0
    ids = sorted({row.id for row in rows})
    await session.execute(delete(LEASES).where(LEASES.c.id.in_(ids)))

    # Per limit: the slots to give back and how long, on average, each one was held.
    slots: dict[UUID, int] = defaultdict(int)
    held_seconds: dict[UUID, float] = defaultdict(float)
    for row in rows:
        if row.limit_id is not None:  # a lease on inactive limits only holds nothing
            slots[row.limit_id] += row.slots
            held_seconds[row.limit_id] += row.slots * max((now - row.created).total_seconds(), 0)
    for limit_id in sorted(slots):  # one order for every transaction: no deadlocks
        if slots[limit_id]:
            await give_back_slots(
                session,
                [limit_id],
                slots[limit_id],
                now,
                occupancy_seconds=held_seconds[limit_id],
            )
    return len(ids)


async def task_run_holders(
    session: AsyncSession, limit_ids: Sequence[UUID]
) -> dict[UUID, list[UUID]]:
    """The task runs holding slots on each of these limits (the v1 `active_slots`)."""
    lease = ConcurrencyLease
    rows = await session.execute(
        select(ConcurrencyLeaseLimit.limit_id, lease.holder["id"].as_string())
        .join(lease, lease.id == ConcurrencyLeaseLimit.lease_id)
        .where(
            ConcurrencyLeaseLimit.limit_id.in_(limit_ids),
            lease.holder["type"].as_string() == "task_run",
        )
        .order_by(lease.created)
    )
    holders: dict[UUID, list[UUID]] = defaultdict(list)
    for limit_id, holder_id in rows:
        holders[limit_id].append(UUID(holder_id))
    return holders


async def read_limit_leases(
    session: AsyncSession, limit_ids: Sequence[UUID], per_limit: int
) -> dict[UUID, list[ConcurrencyLease]]:
    """The leases holding slots on each of these limits, soonest to expire first, at most
    `per_limit` of each (a limit's holders are shown, never all of a busy rate limit's)."""
    if not limit_ids:
        return {}
    lease = ConcurrencyLease
    rank = (
        func.row_number()
        .over(partition_by=ConcurrencyLeaseLimit.limit_id, order_by=(lease.expires_at, lease.id))
        .label("rank")
    )
    ranked = (
        select(ConcurrencyLeaseLimit.limit_id, lease.id.label("lease_id"), rank)
        .join(lease, lease.id == ConcurrencyLeaseLimit.lease_id)
        .where(ConcurrencyLeaseLimit.limit_id.in_(limit_ids))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.limit_id, lease)
        .join(lease, lease.id == ranked.c.lease_id)
        .where(ranked.c.rank <= per_limit)
        .order_by(ranked.c.limit_id, ranked.c.rank)
    )
    leases: dict[UUID, list[ConcurrencyLease]] = defaultdict(list)
    for limit_id, held in rows:
        leases[limit_id].append(held)
    return leases


async def has_expired_leases(
    session: AsyncSession, limit_ids: Sequence[UUID], now: datetime
) -> bool:
    """Whether any of these limits still counts slots of a lease that has expired."""
    if not limit_ids:
        return False
    lease = ConcurrencyLease
    expired = (
        select(lease.id)
        .join(ConcurrencyLeaseLimit, ConcurrencyLeaseLimit.lease_id == lease.id)
        .where(ConcurrencyLeaseLimit.limit_id.in_(limit_ids), lease.expires_at < now)
    )
    return bool(await session.scalar(select(exists(expired))))


async def delete_orphaned_leases(session: AsyncSession, lease_ids: Sequence[UUID]) -> None:
    """Delete leases left holding no limit (their limits were deleted)."""
    if not lease_ids:
        return
    lease = ConcurrencyLease
    holds_something = exists().where(ConcurrencyLeaseLimit.lease_id == lease.id)
    await session.execute(
        delete(lease)
        .where(lease.id.in_(lease_ids), ~holds_something)
        .execution_options(synchronize_session=False)
    )


async def leases_on_limit(session: AsyncSession, limit_id: UUID) -> list[UUID]:
    """The ids of the leases holding slots on one limit."""
    rows = await session.scalars(
        select(ConcurrencyLeaseLimit.lease_id).where(ConcurrencyLeaseLimit.limit_id == limit_id)
    )
    return list(rows)
