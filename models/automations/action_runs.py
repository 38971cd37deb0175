"""Action runs: one action of one firing, run once however often its message arrives.

An action run's id is derived from (firing, action index), so a redelivered or replayed
`act_on_firing` message finds the record of what it already did: a succeeded or failed
action is not run again, a running one is left to its runner until its lease expires
(the runner died mid-action), a pending one is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from sqlalchemy import ForeignKey, Index, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Updated
from models.db.dialect import insert_ignoring_duplicates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The namespace of action run ids (uuid5 of firing and action index).
ACTION_RUN_NAMESPACE: Final = UUID("6d1c0a52-8f3e-4b27-a7d9-2e5b91c4f038")


def action_run_id(firing_id: UUID, action_index: int) -> UUID:
    """One action run per (firing, position of the action in the list that fired)."""
    return uuid5(ACTION_RUN_NAMESPACE, f"{firing_id}:{action_index}")


class ActionRunStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


#: Statuses after which an action run is never run again.
FINAL_STATUSES: Final = frozenset({ActionRunStatus.SUCCEEDED, ActionRunStatus.FAILED})


class ActionRun(Base):
    """One action of a firing: what it is, how far it got, and why it failed if it did."""

    __tablename__ = "automation_action_run"
    __table_args__ = (
        Index("ix_automation_action_run_automation_id_created", "automation_id", "created"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    firing_id: Mapped[UUID] = mapped_column(
        ForeignKey("automation_firing.id", ondelete="CASCADE"), index=True
    )
    automation_id: Mapped[UUID]
    #: The action's place in the list run for the firing: `actions` then
    #: `actions_on_trigger` for a triggered firing, `actions_on_resolve` for a resolved one.
    action_index: Mapped[int]
    action_type: Mapped[str] = mapped_column(String(32))
    #: An `ActionRunStatus` value.
    status: Mapped[str] = mapped_column(String(16), default=ActionRunStatus.PENDING.value)
    #: Why it failed, for people and for the `prefect.automation.action.failed` event.
    reason: Mapped[str | None] = mapped_column(Text)
    #: Times it was claimed: more than one means a runner died or the database went away.
    attempts: Mapped[int] = mapped_column(default=0)
    started: Mapped[datetime | None]
    finished: Mapped[datetime | None]
    #: Until when the runner holding it may finish before another takes it over.
    lease_expires: Mapped[datetime | None]
    #: What the action did (the flow run it created, the delivery it queued...), as the
    #: payload of its executed or failed event carries it.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


@dataclass(frozen=True)
class Claimed:
    """The action run is this runner's to perform; `first` when no runner tried it before
    (its `prefect.automation.action.triggered` event is due)."""

    id: UUID
    first: bool
    started: datetime


@dataclass(frozen=True)
class Finished:
    """The action run ended before; `details` is what it recorded."""

    details: dict[str, Any]


@dataclass(frozen=True)
class HeldElsewhere:
    """Another runner holds the action run; try again after `retry_in`."""

    retry_in: timedelta


async def claim_action_run(
    session: AsyncSession,
    *,
    firing_id: UUID,
    automation_id: UUID,
    action_index: int,
    action_type: str,
    now: datetime,
    lease: timedelta,
) -> Claimed | Finished | HeldElsewhere:
    """Take the action run of (firing, index) for this runner, unless it is finished or
    another runner's lease on it still holds.

    Two runners claiming at once: the row lock (PostgreSQL) or the write lock (SQLite) makes
    the second see the first's lease.
    """
    run_id = action_run_id(firing_id, action_index)
    await insert_ignoring_duplicates(
        session,
        ActionRun,
        [
            {
                "id": run_id,
                "created": now,
                "updated": now,
                "firing_id": firing_id,
                "automation_id": automation_id,
                "action_index": action_index,
                "action_type": action_type,
                "status": ActionRunStatus.PENDING.value,
                "attempts": 0,
                "details": {},
            }
        ],
    )
    run = await session.scalar(select(ActionRun).where(ActionRun.id == run_id).with_for_update())
    if run is None:  # the firing was deleted with its automation since the insert
        return Finished({})
    if run.status in FINAL_STATUSES:
        return Finished(dict(run.details or {}))
    if run.status == ActionRunStatus.RUNNING and run.lease_expires and run.lease_expires > now:
        return HeldElsewhere(run.lease_expires - now)
    first = run.attempts == 0
    started = run.started or now
    run.status = ActionRunStatus.RUNNING.value
    run.attempts += 1
    run.started = started
    run.lease_expires = now + lease
    run.updated = now
    return Claimed(run_id, first, started)


async def finish_action_run(
    session: AsyncSession,
    run_id: UUID,
    *,
    succeeded: bool,
    reason: str | None,
    details: dict[str, Any],
    now: datetime,
) -> None:
    """Record how the action ended; it is never run again."""
    status = ActionRunStatus.SUCCEEDED if succeeded else ActionRunStatus.FAILED
    await session.execute(
        update(ActionRun)
        .where(ActionRun.id == run_id)
        .values(
            status=status.value,
            reason=reason,
            details=details,
            finished=now,
            lease_expires=None,
            updated=now,
        )
    )


async def release_action_run(session: AsyncSession, run_id: UUID, now: datetime) -> None:
    """Give the action run back (its runner failed unexpectedly): the next try claims it at
    once instead of waiting for the lease."""
    await session.execute(
        update(ActionRun)
        .where(ActionRun.id == run_id, ActionRun.status == ActionRunStatus.RUNNING.value)
        .values(status=ActionRunStatus.PENDING.value, lease_expires=None, updated=now)
    )


async def read_action_runs(session: AsyncSession, firing_id: UUID) -> list[ActionRun]:
    """The action runs of a firing, in the order its actions run."""
    return list(
        await session.scalars(
            select(ActionRun)
            .where(ActionRun.firing_id == firing_id)
            .order_by(ActionRun.action_index)
        )
    )
