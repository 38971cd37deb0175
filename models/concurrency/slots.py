"""Taking and giving back the slots of concurrency limits.

One conditional UPDATE decides an acquisition: it decays the counters, checks that the
slots fit and takes them, all on the row's current values. On PostgreSQL the row lock makes
a second acquirer wait and re-check; on SQLite the write transaction (BEGIN IMMEDIATE) lets
one writer in at a time. Either way no limit ever has more holders than it allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, NamedTuple
from uuid import UUID, uuid4

from sqlalchemy import BindParameter, Float, Integer, bindparam, select, update

from models.concurrency.decay import (
    Occupancy,
    at_least,
    average_occupancy_after,
    decayed_counters,
    retry_after_seconds,
)
from models.concurrency.tables import ConcurrencyLimit
from models.db.base import Base
from models.db.dialect import insert_ignoring_duplicates
from models.errors import InvalidRequest

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

Mode = Literal["concurrency", "rate_limit"]

#: What the reference answers (422) when one limit cannot ever hold the slots asked for.
TOO_MANY_SLOTS_DETAIL = "Slots requested is greater than the limit"

# The statements of the hot path are built once, with bind parameters, and so compiled once.
LIMITS = Base.metadata.tables[ConcurrencyLimit.__tablename__]
NOW = bindparam("now", type_=Float())
SLOTS = bindparam("slots", type_=Integer())
LIMIT_IDS: BindParameter[Any] = bindparam("limit_ids", expanding=True)
COUNTERS = decayed_counters(NOW)

READ_BY_NAME = (
    select(
        LIMITS.c.id,
        LIMITS.c.name,
        LIMITS.c.limit,
        LIMITS.c.active,
        LIMITS.c.slot_decay_per_second,
        LIMITS.c.active_slots,
        LIMITS.c.denied_slots,
        LIMITS.c.avg_slot_occupancy_seconds,
        LIMITS.c.slots_decayed_at,
    )
    .where(LIMITS.c.name.in_(bindparam("names", expanding=True)))
    .order_by(LIMITS.c.name)
)
# The check and the increment are one statement on the row's current values: the whole of
# the guarantee that a limit never has more holders than it allows.
TAKE = (
    update(LIMITS)
    .where(
        LIMITS.c.id.in_(LIMIT_IDS),
        LIMITS.c.active.is_(True),
        COUNTERS.active_slots + SLOTS <= LIMITS.c.limit,
    )
    .values(
        active_slots=COUNTERS.active_slots + SLOTS,
        denied_slots=COUNTERS.denied_slots,
        slots_decayed_at=COUNTERS.slots_decayed_at,
    )
    .returning(LIMITS.c.id)
)
UNTAKE = (
    update(LIMITS)
    .where(LIMITS.c.id.in_(LIMIT_IDS))
    .values(active_slots=LIMITS.c.active_slots - SLOTS)
)
DENY = (
    update(LIMITS)
    .where(LIMITS.c.id.in_(LIMIT_IDS), LIMITS.c.active.is_(True))
    .values(
        active_slots=COUNTERS.active_slots,
        denied_slots=COUNTERS.denied_slots + SLOTS,
        slots_decayed_at=COUNTERS.slots_decayed_at,
    )
    .returning(
        LIMITS.c.limit,
        LIMITS.c.active_slots,
        LIMITS.c.denied_slots,
        LIMITS.c.slot_decay_per_second,
        LIMITS.c.avg_slot_occupancy_seconds,
        LIMITS.c.slots_decayed_at,
    )
)
GIVE_BACK = (
    update(LIMITS)
    .where(LIMITS.c.id.in_(LIMIT_IDS))
    .values(
        active_slots=at_least(COUNTERS.active_slots - SLOTS, 0),
        denied_slots=COUNTERS.denied_slots,
        slots_decayed_at=COUNTERS.slots_decayed_at,
    )
)
GIVE_BACK_HELD = GIVE_BACK.values(
    avg_slot_occupancy_seconds=average_occupancy_after(
        bindparam("occupancy_seconds_per_slot", type_=Float())
    )
)


class NamedLimit(NamedTuple):
    """A limit as an acquisition reads it before deciding."""

    id: UUID
    name: str
    limit: int
    active: bool
    slot_decay_per_second: float
    occupancy: Occupancy

    def has_room(self, slots: int, unix_now: float) -> bool:
        """Whether `slots` fit, as read: a hint, the conditional UPDATE has the last word."""
        return (
            not self.active or self.occupancy.decayed(unix_now).active_slots + slots <= self.limit
        )


@dataclass(frozen=True)
class Acquisition:
    """The outcome of asking for slots on some limits by name.

    `limits` are every limit found (inactive ones too: the client lists them); `taken` are
    the active ones slots were taken on. A refused acquisition took nothing and says how
    long to wait.
    """

    limits: Sequence[NamedLimit]
    taken: Sequence[UUID]
    retry_after_seconds: float | None = None


async def read_limits_by_name(session: AsyncSession, names: Sequence[str]) -> list[NamedLimit]:
    """The limits with these names, in name order; unknown names are left out."""
    rows = await session.execute(READ_BY_NAME, {"names": sorted(set(names))})
    return [NamedLimit(*row[:5], occupancy=Occupancy.of(row)) for row in rows]


async def create_missing_limits(session: AsyncSession, names: Sequence[str]) -> None:
    """Create an inactive limit of 1 for each unknown name (the deprecated create_if_missing).

    Inactive limits never block, so this changes nothing but what the limit list shows.
    """
    rows = [{"id": uuid4(), "name": name, "limit": 1, "active": False} for name in set(names)]
    await insert_ignoring_duplicates(session, ConcurrencyLimit, rows, key=["name"])


async def acquire_slots(
    session: AsyncSession,
    names: Sequence[str],
    slots: int,
    mode: Mode,
    now: datetime,
    *,
    create_if_missing: bool = False,
) -> Acquisition:
    """Take `slots` on every active limit named, or on none of them.

    Raises InvalidRequest when a limit could never hold that many, or when a rate limit is
    asked of a limit that does not decay. A refusal is counted in `denied_slots` (so call
    this in a transaction that commits even when refused) and comes with a Retry-After.
    `create_if_missing` first creates the unknown names as inactive limits.
    """
    if create_if_missing:
        await create_missing_limits(session, names)
    limits = await read_limits_by_name(session, names)
    ids = limits_to_take(limits, slots, mode)
    if not ids:
        return Acquisition(limits, [])
    unix_now = now.timestamp()
    # Full as read: refused without trying. A slot given back since the read is missed (the
    # client comes back a little later), but a slot is never given that is not there.
    has_room = all(limit.has_room(slots, unix_now) for limit in limits)
    if has_room and await take_slots(session, ids, slots, unix_now):
        return Acquisition(limits, ids)
    return await refuse_slots(session, limits, ids, slots, unix_now)


def limits_to_take(limits: Sequence[NamedLimit], slots: int, mode: Mode) -> list[UUID]:
    """The ids of the active limits, in one order for every transaction (no deadlocks).

    Raises InvalidRequest when one could never hold `slots`, or when a rate limit is asked
    of a limit that does not decay.
    """
    active = [limit for limit in limits if limit.active]
    if any(limit.limit < slots for limit in active):
        raise InvalidRequest(TOO_MANY_SLOTS_DETAIL)
    steady = [limit.name for limit in active if limit.slot_decay_per_second == 0]
    if mode == "rate_limit" and steady:
        raise InvalidRequest(
            "Only concurrency limits with slot decay can be used for rate limiting. The "
            f"following limits do not have a decay configured: {','.join(steady)!r}"
        )
    return sorted(limit.id for limit in active)


async def refuse_slots(
    session: AsyncSession,
    limits: Sequence[NamedLimit],
    limit_ids: Sequence[UUID],
    slots: int,
    unix_now: float,
) -> Acquisition:
    """The refusal of `slots` on these limits, counted, with the Retry-After it gets."""
    refusing = [
        occupancy
        for occupancy in await deny_slots(session, limit_ids, slots, unix_now)
        if occupancy.active_slots + slots > occupancy.limit
    ]
    return Acquisition(limits, [], retry_after_seconds(refusing, slots, unix_now))


async def take_slots(
    session: AsyncSession, limit_ids: Sequence[UUID], slots: int, unix_now: float
) -> bool:
    """Take `slots` on each of these limits if every one has room; True when taken."""
    parameters = {"limit_ids": list(limit_ids), "slots": slots, "now": unix_now}
    took = list((await session.execute(TAKE, parameters)).scalars())
    if len(took) == len(limit_ids):
        return True
    if took:  # some limits had room and others not: give back, in this same transaction
        await session.execute(UNTAKE, {"limit_ids": took, "slots": slots})
    return False


async def deny_slots(
    session: AsyncSession, limit_ids: Sequence[UUID], slots: int, unix_now: float
) -> list[Occupancy]:
    """Count a refusal of `slots` on these limits; returns their occupancy afterwards."""
    parameters = {"limit_ids": list(limit_ids), "slots": slots, "now": unix_now}
    return [Occupancy.of(row) for row in await session.execute(DENY, parameters)]


async def give_back_slots(
    session: AsyncSession,
    limit_ids: Sequence[UUID],
    slots: int,
    now: datetime,
    *,
    occupancy_seconds: float | None = None,
    only_active: bool = False,
) -> None:
    """Return `slots` to each of these limits (never below zero).

    `occupancy_seconds`, how long they were held in all, feeds the average occupancy that
    paces the waiting clients.
    """
    if not limit_ids:
        return
    parameters: dict[str, Any] = {
        "limit_ids": list(limit_ids),
        "slots": slots,
        "now": now.timestamp(),
    }
    statement = GIVE_BACK
    if occupancy_seconds:
        statement = GIVE_BACK_HELD
        parameters["occupancy_seconds_per_slot"] = occupancy_seconds / slots
    if only_active:
        statement = statement.where(LIMITS.c.active.is_(True))
    await session.execute(statement, parameters)


async def release_slots_by_name(
    session: AsyncSession,
    names: Sequence[str],
    slots: int,
    now: datetime,
    occupancy_seconds: float | None = None,
) -> list[NamedLimit]:
    """Give back slots taken without a lease (`decrement`); returns the limits found."""
    limits = await read_limits_by_name(session, names)
    await give_back_slots(
        session,
        sorted(limit.id for limit in limits),
        slots,
        now,
        occupancy_seconds=occupancy_seconds,
        only_active=True,  # as the reference: an inactive limit took nothing
    )
    return limits
