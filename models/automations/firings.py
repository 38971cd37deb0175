"""Firings: a trigger of an automation fired (or resolved), once, for a known reason.

The evaluator inserts a firing with an id derived from what fired it (automation, trigger,
bucket and the event or window that completed it), so evaluating the same events again
inserts nothing new; the action runner runs the automation's actions for each firing once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id


class FiringKind(StrEnum):
    """What a firing starts: the automation's `actions` and `actions_on_trigger`, or its
    `actions_on_resolve`."""

    TRIGGERED = "triggered"
    RESOLVED = "resolved"


class Firing(Base):
    """One time an automation's trigger fired or resolved."""

    __tablename__ = "automation_firing"
    __table_args__ = (
        Index("ix_automation_firing_automation_id_created", "automation_id", "created"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    automation_id: Mapped[UUID] = mapped_column(ForeignKey("automation.id", ondelete="CASCADE"))
    #: The id of the (sub)trigger that fired, from the trigger's JSON.
    trigger_id: Mapped[UUID]
    #: A `FiringKind` value.
    kind: Mapped[str] = mapped_column(String(16))
    #: When it fired: the completing event's time, or the end of a proactive window.
    occurred: Mapped[datetime]
    #: The `for_each` labels of the bucket that fired ({} without `for_each`).
    triggering_labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The event that completed the trigger, as its JSON; None when a window ran out.
    triggering_event: Mapped[dict[str, Any] | None]
    #: The ids of the events counted towards this firing, oldest first.
    triggering_event_ids: Mapped[list[str]] = mapped_column(default=list)
