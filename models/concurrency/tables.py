"""Concurrency limits, the slots they hand out and the leases that hold them.

A tag limit of the v1 API is the global limit named `tag:<tag>`; there is one table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, text
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.types import utcnow


def unix_now() -> float:
    """Now, in seconds since the epoch."""
    return utcnow().timestamp()


class ConcurrencyLimit(Base):
    """At most `limit` slots in use at once; a rate limit's slots decay rather than release."""

    __tablename__ = "concurrency_limit"
    __table_args__ = (
        CheckConstraint('"limit" >= 0', name="limit_not_negative"),
        CheckConstraint("active_slots >= 0", name="active_slots_not_negative"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    limit: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    active_slots: Mapped[int] = mapped_column(default=0)
    denied_slots: Mapped[int] = mapped_column(default=0)
    slot_decay_per_second: Mapped[float] = mapped_column(default=0.0)
    avg_slot_occupancy_seconds: Mapped[float] = mapped_column(default=2.0)
    #: Unix time (seconds) up to which `active_slots` and `denied_slots` have decayed. A
    #: number, not a timestamp, so that one UPDATE can compute with it on SQLite and
    #: PostgreSQL alike (models/concurrency/decay.py).
    slots_decayed_at: Mapped[float] = mapped_column(default=unix_now, server_default=text("0"))


class ConcurrencyLease(Base):
    """Slots held on one or more limits until released or until the lease expires."""

    __tablename__ = "concurrency_lease"

    id: Mapped[Id]
    created: Mapped[Created]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    slots: Mapped[int]
    #: Who holds it, as the client says (`{"type": "task_run", "id": ...}`), if it says.
    holder: Mapped[dict[str, Any] | None]


class ConcurrencyLeaseLimit(Base):
    """One limit a lease holds slots on."""

    __tablename__ = "concurrency_lease_limit"

    lease_id: Mapped[UUID] = mapped_column(
        ForeignKey("concurrency_lease.id", ondelete="CASCADE"), primary_key=True
    )
    limit_id: Mapped[UUID] = mapped_column(
        ForeignKey("concurrency_limit.id", ondelete="CASCADE"), primary_key=True, index=True
    )
