"""Leased slots taken, renewed and given back on the writer thread, inside a set_state.

A flow run's set_state is decided on the writer thread's synchronous session
(`models/db/group_commit.py`), so the deployment slot it takes or gives back is handled
there too, with the statements of `slots.py` and `leases.py`: the same conditional UPDATE
decides whether a slot is free, and a lease is given back exactly once, whoever gets to it
first (this, the client's release, or the expiry sweep).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import delete, insert, select, update

from models.concurrency.leases import LEASE_LIMITS, LEASES
from models.concurrency.slots import GIVE_BACK, GIVE_BACK_HELD, TAKE

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def take_leased_slot(
    session: Session,
    limit_id: UUID,
    duration: timedelta,
    now: datetime,
    holder: dict[str, Any],
) -> UUID | None:
    """One slot of an active limit under a new lease; None (nothing written) when it is full."""
    connection = session.connection()
    took = connection.execute(
        TAKE, {"limit_ids": [limit_id], "slots": 1, "now": now.timestamp()}
    ).scalar()
    if took is None:
        return None
    lease_id = uuid4()
    connection.execute(
        insert(LEASES).values(
            id=lease_id, created=now, expires_at=now + duration, slots=1, holder=holder
        )
    )
    connection.execute(insert(LEASE_LIMITS).values(lease_id=lease_id, limit_id=limit_id))
    return lease_id


def renew_leased_slot(session: Session, lease_id: UUID, duration: timedelta, now: datetime) -> bool:
    """Push a live lease's expiry to `now + duration`; False when it is gone or expired."""
    result = session.connection().execute(
        update(LEASES)
        .where(LEASES.c.id == lease_id, LEASES.c.expires_at > now)
        .values(expires_at=now + duration)
    )
    return bool(result.rowcount)


def release_leased_slots(session: Session, lease_id: UUID, now: datetime) -> bool:
    """Give back what one lease holds; False when it was released or swept already.

    The lease row is locked as it is read (FOR UPDATE; SQLite's writer is alone anyway),
    so a concurrent release waits and then finds it gone.
    """
    connection = session.connection()
    rows = connection.execute(
        select(LEASES.c.slots, LEASES.c.created, LEASE_LIMITS.c.limit_id)
        .select_from(LEASES.outerjoin(LEASE_LIMITS, LEASE_LIMITS.c.lease_id == LEASES.c.id))
        .where(LEASES.c.id == lease_id)
        .order_by(LEASE_LIMITS.c.limit_id)
        .with_for_update(of=LEASES)
    ).all()
    if not rows:
        return False
    connection.execute(delete(LEASES).where(LEASES.c.id == lease_id))
    for row in rows:
        if row.limit_id is None or not row.slots:
            continue
        parameters: dict[str, Any] = {
            "limit_ids": [row.limit_id],
            "slots": row.slots,
            "now": now.timestamp(),
        }
        held_seconds = max((now - row.created).total_seconds(), 0.0)
        if held_seconds:  # feeds the average occupancy that paces waiting clients
            parameters["occupancy_seconds_per_slot"] = held_seconds
        connection.execute(GIVE_BACK_HELD if held_seconds else GIVE_BACK, parameters)
    return True
