"""Reading stored events by filter, a page at a time, as `POST /api/events/filter` does.

A page comes with the number of all matching events and, when more follow, a token for the
next one. The token carries the filter (its default `until`, "now", fixed at the first
page), the total, the page size and the next offset, so every page reads the same events;
as on Prefect's server it is not signed (it only ever selects events a caller could ask for
directly) and the total is not counted again.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Select, distinct, func, select

from models.errors import Forbidden
from models.events.criteria import event_clauses
from models.events.tables import EventRow
from models.schemas.event_filters import EVENT_PAGE_SIZE, EventFilter, EventOrder

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class PageToken(BaseModel):
    """Where the next page of a query starts."""

    model_config = ConfigDict(extra="forbid")

    filter: EventFilter
    count: int = Field(ge=0)
    page_size: int = Field(ge=0, le=EVENT_PAGE_SIZE)
    offset: int = Field(ge=0, le=2**31 - 1)

    def encode(self) -> str:
        """As it travels in a URL (base64 without `+` or `/`, which query strings mangle)."""
        return base64.urlsafe_b64encode(self.model_dump_json().encode()).decode()

    @classmethod
    def decode(cls, text: str) -> PageToken:
        """A token from its URL form; anything else is refused, as Prefect's server does."""
        try:
            # Either alphabet, and a `+` a query string turned into a space.
            standard = text.strip().replace(" ", "+").replace("-", "+").replace("_", "/")
            return cls.model_validate_json(base64.b64decode(standard, validate=True))
        except (binascii.Error, ValueError, ValidationError):
            raise Forbidden("Forbidden") from None


@dataclass(frozen=True)
class EventPageRead:
    """The events of one page, as JSON values, the total and the next page's token."""

    events: list[dict[str, Any]]
    total: int
    next_token: str | None


async def read_event_page(session: AsyncSession, wanted: EventFilter, limit: int) -> EventPageRead:
    """The first page of the events that match, with the number of them all."""
    total = await count_matching_events(session, wanted)
    return await read_page(
        session, PageToken(filter=wanted, count=total, page_size=limit, offset=0)
    )


async def read_next_event_page(session: AsyncSession, token: str) -> EventPageRead:
    """The page a token from an earlier page points to; a token that is not one is a 403."""
    return await read_page(session, PageToken.decode(token))


async def read_page(session: AsyncSession, page: PageToken) -> EventPageRead:
    rows = await session.scalars(page_query(session, page))
    following = page.offset + page.page_size
    next_token = None
    if following < page.count:
        next_token = page.model_copy(update={"offset": following}).encode()
    return EventPageRead([event_document(row) for row in rows], page.count, next_token)


async def count_matching_events(session: AsyncSession, wanted: EventFilter) -> int:
    """How many events match; with `resource.distinct`, how many resources they are about."""
    clauses = event_clauses(wanted, session.get_bind().dialect.name)
    counted = func.count(distinct(EventRow.resource_id)) if is_distinct(wanted) else func.count()
    return int(await session.scalar(select(counted).select_from(EventRow).where(*clauses)) or 0)


def page_query(session: AsyncSession, page: PageToken) -> Select[Any]:
    """The events of the page, by occurrence (then id, so that pages never overlap)."""
    wanted = page.filter
    clauses = event_clauses(wanted, session.get_bind().dialect.name)
    descending = wanted.order is EventOrder.DESC
    # A filter on ids cannot match more events than it names.
    limit = min(page.page_size, len(wanted.id.id)) if wanted.id.id else page.page_size
    if is_distinct(wanted):
        # The first event of each resource, in the page's order.
        first = func.row_number().over(
            partition_by=EventRow.resource_id,
            order_by=ordering(EventRow.occurred, EventRow.id, descending=descending),
        )
        firsts = select(EventRow.id).where(*clauses).add_columns(first.label("rank")).subquery()
        statement = (
            select(EventRow).join(firsts, firsts.c.id == EventRow.id).where(firsts.c.rank == 1)
        )
    else:
        statement = select(EventRow).where(*clauses)
    statement = statement.order_by(*ordering(EventRow.occurred, EventRow.id, descending=descending))
    return statement.limit(limit).offset(page.offset)


def ordering(*columns: Any, descending: bool) -> list[Any]:
    return [column.desc() if descending else column.asc() for column in columns]


def is_distinct(wanted: EventFilter) -> bool:
    return wanted.resource is not None and wanted.resource.distinct


def event_document(row: EventRow) -> dict[str, Any]:
    """A stored event as the API writes it (the field order of Prefect's `ReceivedEvent`)."""
    return {
        "occurred": row.occurred,
        "event": row.event,
        "resource": row.resource,
        "related": row.related,
        "payload": row.payload,
        "id": row.id,
        "follows": row.follows,
        "received": row.received,
    }
