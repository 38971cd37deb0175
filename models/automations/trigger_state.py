"""What trigger evaluation keeps between events: buckets, events already evaluated, the newest
firing of each child of a composite trigger, and how far the sweep has read the event table.

Each row belongs to an automation and goes with it (ON DELETE CASCADE).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base


class AutomationBucket(Base):
    """The open window of one event trigger for one `for_each` key, and its count."""

    __tablename__ = "automation_bucket"
    __table_args__ = (Index("ix_automation_bucket_trigger_id_end", "trigger_id", "end"),)

    #: Derived from (trigger, key) by `bucket_id`: one open window per key.
    id: Mapped[UUID] = mapped_column(primary_key=True)
    automation_id: Mapped[UUID] = mapped_column(
        ForeignKey("automation.id", ondelete="CASCADE"), index=True
    )
    trigger_id: Mapped[UUID]
    bucketing_key: Mapped[list[Any]] = mapped_column(default=list)
    start: Mapped[datetime]
    end: Mapped[datetime]
    count: Mapped[int]
    last_event: Mapped[dict[str, Any] | None]
    event_ids: Mapped[list[Any]] = mapped_column(default=list)
    updated: Mapped[datetime]


class EvaluatedEvent(Base):
    """An event a trigger has counted: evaluating it again for that trigger does nothing."""

    __tablename__ = "automation_evaluated_event"

    trigger_id: Mapped[UUID] = mapped_column(primary_key=True)
    event_id: Mapped[UUID] = mapped_column(primary_key=True)
    automation_id: Mapped[UUID] = mapped_column(
        ForeignKey("automation.id", ondelete="CASCADE"), index=True
    )
    #: When it was evaluated; rows older than the sweep's reach are pruned.
    evaluated: Mapped[datetime] = mapped_column(index=True)


class CompositeChildFiring(Base):
    """The newest firing of one child trigger of a compound or sequence trigger."""

    __tablename__ = "automation_child_firing"

    composite_trigger_id: Mapped[UUID] = mapped_column(primary_key=True)
    child_trigger_id: Mapped[UUID] = mapped_column(primary_key=True)
    automation_id: Mapped[UUID] = mapped_column(
        ForeignKey("automation.id", ondelete="CASCADE"), index=True
    )
    firing_id: Mapped[UUID]
    occurred: Mapped[datetime]
    triggering_event: Mapped[dict[str, Any] | None]
    event_ids: Mapped[list[Any]] = mapped_column(default=list)


class SweepCursor(Base):
    """How far (by `received`) the sweep has evaluated the event table."""

    __tablename__ = "automation_sweep_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    received: Mapped[datetime]
