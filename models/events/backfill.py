"""The stored events a new `/api/events/out` subscriber is sent before the live stream."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import select

from models.events.tables import EventRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.events.subscriptions import EventFilter

#: Events a subscriber is sent from the past at most, before the live stream.
MAX_BACKFILL_EVENTS: Final = 1_000


async def read_backfill_events(
    session: AsyncSession, wanted: EventFilter, limit: int = MAX_BACKFILL_EVENTS
) -> list[dict[str, Any]]:
    """Stored events since the filter's `since` that match it, oldest first, as JSON values.

    The time range and the event names narrow the SELECT; the rest of the filter is applied
    to each event as the live stream applies it, so both send the same events.
    """
    statement = select(EventRow).where(EventRow.occurred >= wanted.occurred.since)
    if wanted.occurred.until is not None:
        statement = statement.where(EventRow.occurred <= wanted.occurred.until)
    if wanted.event is not None and wanted.event.name:
        statement = statement.where(EventRow.event.in_(wanted.event.name))
    rows = await session.scalars(statement.order_by(EventRow.occurred).limit(limit))
    documents = [
        {
            "id": str(row.id),
            "occurred": row.occurred.isoformat(),
            "received": row.received.isoformat(),
            "event": row.event,
            "resource": row.resource,
            "related": row.related,
            "payload": row.payload,
            "follows": str(row.follows) if row.follows else None,
        }
        for row in rows
    ]
    return [document for document in documents if wanted.matches(document)]
