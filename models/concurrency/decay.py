"""How a concurrency limit's counters decay with time, and how long a refused client waits.

A rate limit (`slot_decay_per_second` > 0) is a leaky bucket: its `active_slots` drain at that
rate with nobody releasing them. `denied_slots`, the recent refusals that spread out the
waiting clients, drain too: at the rate limit's rate, or, for a concurrency limit, one per
average slot occupancy. Both counters are whole numbers, so they drain in whole steps, and
`slots_decayed_at` is the clock they have drained up to. It moves forward by exactly the
steps taken (the fraction of a step already elapsed is kept for next time), or jumps to now
once the counter it paces is empty.

The same arithmetic exists twice: as SQL expressions, so that one conditional UPDATE
decays and acquires at once, and in Python (`Occupancy.decayed`), for reads and for the
Retry-After of a refusal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, case

from models.concurrency.tables import ConcurrencyLimit
from models.db.dialect import whole_part

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The longest a client refused by a concurrency limit (one without decay) is told to wait.
MAX_SLOT_WAIT_SECONDS: Final = 30.0
#: The shortest average occupancy a slot is assumed to have: keeps the decay rate finite.
MIN_OCCUPANCY_SECONDS_PER_SLOT: Final = 0.1
#: The average occupancy weighs the last `limit * OCCUPANCY_SAMPLES_PER_SLOT` releases.
OCCUPANCY_SAMPLES_PER_SLOT: Final = 2
#: Decay steps are capped so that a clock far in the past cannot overflow an INTEGER.
MAX_DECAY_STEPS: Final = 1_000_000_000
#: A concurrency limit's Retry-After varies by this fraction either way, so that clients
#: refused together do not all come back at the same moment.
RETRY_JITTER: Final = 0.3


def at_least(value: SQLColumnExpression[Any], floor: Any) -> ColumnElement[Any]:
    """max(value, floor), written as a CASE both databases read the same way."""
    return case((value < floor, floor), else_=value)


def at_most(value: SQLColumnExpression[Any], ceiling: Any) -> ColumnElement[Any]:
    """min(value, ceiling), written as a CASE."""
    return case((value > ceiling, ceiling), else_=value)


class DecayedCounters(NamedTuple):
    """A limit's counters and clock after decaying up to `now`, as SQL expressions."""

    active_slots: ColumnElement[int]
    denied_slots: ColumnElement[int]
    slots_decayed_at: ColumnElement[float]


def decay_rate() -> ColumnElement[float]:
    """Steps per second: the rate limit's decay, or one per average occupancy."""
    limit = ConcurrencyLimit
    occupancy = at_most(
        at_least(limit.avg_slot_occupancy_seconds, MIN_OCCUPANCY_SECONDS_PER_SLOT),
        MAX_SLOT_WAIT_SECONDS,
    )
    return case(
        (limit.slot_decay_per_second > 0, limit.slot_decay_per_second), else_=1.0 / occupancy
    )


def decayed_counters(now: ColumnElement[float]) -> DecayedCounters:
    """The counters as they stand at `now` (Unix seconds); evaluated on the row's old values.

    `now` is an expression, usually a bind parameter: the statements built from these are
    built once and compiled once.
    """
    limit = ConcurrencyLimit
    rate = decay_rate()
    elapsed = at_least(now - limit.slots_decayed_at, 0.0)
    steps = whole_part(at_most(rate * elapsed, MAX_DECAY_STEPS))
    is_rate_limit = limit.slot_decay_per_second > 0
    active = case(
        (is_rate_limit, at_least(limit.active_slots - steps, 0)), else_=limit.active_slots
    )
    denied = at_least(limit.denied_slots - steps, 0)
    # The clock keeps the fraction of a step already elapsed, except once the counter it
    # paces is empty: a slot taken then must live a whole step, not what is left of one.
    emptied = case(
        (and_(is_rate_limit, active == 0), True),
        (and_(~is_rate_limit, denied == 0), True),
        else_=False,
    )
    clock = case((emptied, now), else_=limit.slots_decayed_at + steps / rate)
    return DecayedCounters(active, denied, clock)


def average_occupancy_after(
    occupancy_seconds_per_slot: ColumnElement[float],
) -> ColumnElement[float]:
    """`avg_slot_occupancy_seconds` after one release that held each slot that long.

    A moving average over the last `limit * OCCUPANCY_SAMPLES_PER_SLOT` releases.
    """
    limit = ConcurrencyLimit
    sample = at_least(occupancy_seconds_per_slot, MIN_OCCUPANCY_SECONDS_PER_SLOT)
    samples = at_least(limit.limit, 1) * OCCUPANCY_SAMPLES_PER_SLOT
    return limit.avg_slot_occupancy_seconds + (sample - limit.avg_slot_occupancy_seconds) / samples


@dataclass(frozen=True)
class Occupancy:
    """What one limit holds, as stored; `decayed(now)` brings it up to date."""

    limit: int
    active_slots: int
    denied_slots: int
    slot_decay_per_second: float
    avg_slot_occupancy_seconds: float
    slots_decayed_at: float

    @classmethod
    def of(cls, row: Any) -> Occupancy:
        """The occupancy of a ConcurrencyLimit row (or any row with the same columns)."""
        return cls(
            limit=row.limit,
            active_slots=row.active_slots,
            denied_slots=row.denied_slots,
            slot_decay_per_second=row.slot_decay_per_second,
            avg_slot_occupancy_seconds=row.avg_slot_occupancy_seconds,
            slots_decayed_at=row.slots_decayed_at,
        )

    @property
    def is_rate_limit(self) -> bool:
        return self.slot_decay_per_second > 0

    @property
    def rate(self) -> float:
        """Decay steps per second, as `decay_rate()` computes it in SQL."""
        if self.is_rate_limit:
            return self.slot_decay_per_second
        occupancy = min(
            max(self.avg_slot_occupancy_seconds, MIN_OCCUPANCY_SECONDS_PER_SLOT),
            MAX_SLOT_WAIT_SECONDS,
        )
        return 1.0 / occupancy

    def decayed(self, now: float) -> Occupancy:
        """The same counters at `now`, as `decayed_counters(now)` computes them in SQL."""
        rate = self.rate
        steps = int(min(rate * max(now - self.slots_decayed_at, 0.0), MAX_DECAY_STEPS))
        active = max(self.active_slots - steps, 0) if self.is_rate_limit else self.active_slots
        denied = max(self.denied_slots - steps, 0)
        emptied = active == 0 if self.is_rate_limit else denied == 0
        clock = now if emptied else self.slots_decayed_at + steps / rate
        return replace(self, active_slots=active, denied_slots=denied, slots_decayed_at=clock)

    def seconds_until_free(self, slots: int, now: float) -> float:
        """How long until `slots` more fit, for the client refused last (up to date at `now`).

        A rate limit knows: its slots drain one per step of its clock, and the clients
        refused before this one (`denied_slots`) are spread over the steps after that. A
        concurrency limit can only guess from how long slots are usually held, as Prefect
        does: the average occupancy times the refusals per slot, within MAX_SLOT_WAIT_SECONDS.
        """
        waiting = max(self.denied_slots - slots, 0)
        if self.is_rate_limit:
            to_drain = max(self.active_slots + slots - self.limit, 0)
            first_fit = self.slots_decayed_at + to_drain / self.rate - now
            return max(first_fit, 0.0) + random.uniform(0.0, waiting / self.rate)
        per_slot = min(self.avg_slot_occupancy_seconds, MAX_SLOT_WAIT_SECONDS)
        queue = (slots + waiting) / max(self.limit, 1)
        spread = random.uniform(1.0 - RETRY_JITTER, 1.0 + RETRY_JITTER)
        return min(per_slot * queue, MAX_SLOT_WAIT_SECONDS) * spread


def retry_after_seconds(refusing: Sequence[Occupancy], slots: int, now: float) -> float:
    """The Retry-After of a refusal: the longest wait among the limits that refused.

    None refusing any more (a slot was given back since): come back at once.
    """
    return max((occupancy.seconds_until_free(slots, now) for occupancy in refusing), default=0.0)
