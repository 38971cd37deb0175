"""Events: everything clients report over the events websocket, and what the server emits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import Index, String, or_, update
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Id
from models.db.dialect import ignore_duplicates, per_dialect
from models.db.driver_rows import DriverRows
from models.db.types import utcnow
from models.runs.flow_runs import FlowRun
from models.schemas.events import FLOW_RUN_RESOURCE_PREFIX as FLOW_RUN_PREFIX
from models.schemas.events import Event

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The Redis pub/sub channel carrying every new event (a JSON list) to `/api/events/out`.
EVENTS_CHANNEL: Final = "signalbox:events"
#: The event a running flow sends every few minutes; its silence reveals a crash.
FLOW_RUN_HEARTBEAT: Final = "prefect.flow-run.heartbeat"


class EventRow(Base):
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


#: INSERT-or-ignore of event rows, by dialect name: a resent event is stored once.
#: Core on the table and no RETURNING, so a batch is one executemany of one statement.
INSERT_EVENTS: Final = per_dialect(
    lambda dialect: ignore_duplicates(dialect, Base.metadata.tables["event"])
)
#: The same, its rows handed to SQLite's driver as they are stored (the hot path: task-run
#: events come by the thousand).
EVENT_ROWS: Final = DriverRows(INSERT_EVENTS, Base.metadata.tables["event"])


def insert_events(session: Session, events: Sequence[Event | dict[str, Any]]) -> None:
    """Store events, each once however often it arrives."""
    received = utcnow()
    # In the order of their ids: two writers of overlapping batches never deadlock.
    rows = sorted(
        (as_event(event).row(received) for event in events), key=lambda row: str(row["id"])
    )
    if rows:
        session.execute(INSERT_EVENTS[session.get_bind().dialect.name], rows)


def record_flow_run_heartbeats(session: Session, events: Sequence[Event]) -> None:
    """Remember the newest heartbeat of each flow run; crash detection reads it."""
    newest: dict[UUID, datetime] = {}
    for event in events:
        if event.event != FLOW_RUN_HEARTBEAT or not event.resource_id.startswith(FLOW_RUN_PREFIX):
            continue
        try:
            flow_run_id = UUID(event.resource_id.removeprefix(FLOW_RUN_PREFIX))
        except ValueError:
            continue  # a heartbeat about no flow run we could know
        newest[flow_run_id] = max(event.occurred, newest.get(flow_run_id, event.occurred))
    for flow_run_id, occurred in sorted(newest.items()):  # one lock order for every writer
        session.execute(
            update(FlowRun)
            .where(
                FlowRun.id == flow_run_id,
                or_(FlowRun.last_heartbeat_time.is_(None), FlowRun.last_heartbeat_time < occurred),
            )
            .values(last_heartbeat_time=occurred)
        )


def as_event(event: Event | dict[str, Any]) -> Event:
    return event if isinstance(event, Event) else Event.model_validate(event)
