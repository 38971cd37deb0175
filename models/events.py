"""Events: everything clients report over the events websocket, and what the server emits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Id


class Event(Base):
    """One event, kept by its client-chosen id so a resent event is stored once."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_event_occurred", "event", "occurred"),
        Index("ix_event_resource_id_occurred", "resource_id", "occurred"),
    )

    id: Mapped[Id]
    occurred: Mapped[datetime] = mapped_column(index=True)
    received: Mapped[datetime] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(String(255))
    #: `resource["prefect.resource.id"]`, kept apart so lookups by resource use an index.
    resource_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[dict[str, Any]] = mapped_column(default=dict)
    related: Mapped[list[Any]] = mapped_column(default=list)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    follows: Mapped[UUID | None]
