"""Wire schemas of the events API: the filter of `POST /api/events/filter` and `/count-by`,
and what a page of events and an event count read as.

The filter is Prefect's `EventFilter` field for field, unknown keys refused as Prefect's
server refuses them. Every criterion given must hold; an empty list is no criterion (the
client's default filter carries `"id": {"id": []}`). The where-clauses it becomes are
`models.events.criteria`'s.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Final, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from models.db.types import utcnow
from models.filters.criteria import MAX_VALUES, FilterText

#: Events one page holds at most, and by default: Prefect's interactive page size.
EVENT_PAGE_SIZE: Final = 50
#: How far back a filter looks when it does not say: 180 days before today began.
DEFAULT_LOOKBACK: Final = timedelta(days=180)


def as_utc(value: datetime) -> datetime:
    """A time given without an offset is UTC, as Prefect's server reads it."""
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before the first UTC datetime
        raise ValueError("the time is out of range in UTC") from None


Moment = Annotated[datetime, AfterValidator(as_utc)]
Values = Annotated[list[FilterText] | None, Field(max_length=MAX_VALUES)]


def one_or_many(value: Any) -> Any:
    """A label's expected value: one pattern or several."""
    return value if isinstance(value, list) else [value]


#: Label patterns by label name: `*` and `?` are wildcards, a leading `!` negates.
LabelPatterns = dict[
    FilterText, Annotated[list[FilterText], BeforeValidator(one_or_many), Field(max_length=100)]
]


class EventCriteria(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def start_of_lookback() -> datetime:
    now = utcnow()
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - DEFAULT_LOOKBACK


class OccurredCriteria(EventCriteria):
    """When the events occurred, both ends inclusive."""

    since: Moment = Field(default_factory=start_of_lookback)
    until: Moment = Field(default_factory=utcnow)


class NameCriteria(EventCriteria):
    """The event's name: one of `name`, starting with one of `prefix`, and neither excluded."""

    prefix: Values = None
    exclude_prefix: Values = None
    name: Values = None
    exclude_name: Values = None


class ResourceCriteria(EventCriteria):
    """The event's own resource; `distinct` keeps only the first event of each resource."""

    id: Values = None
    id_prefix: Values = None
    labels: LabelPatterns | None = None
    distinct: bool = False


class RelatedCriteria(EventCriteria):
    """One related resource meeting every criterion given."""

    id: Values = None
    role: Values = None
    resources_in_roles: Annotated[
        list[tuple[FilterText, FilterText]] | None, Field(max_length=MAX_VALUES)
    ] = None
    labels: LabelPatterns | None = None


class AnyResourceCriteria(EventCriteria):
    """The event's resource or one of its related resources meeting every criterion given."""

    id: Values = None
    id_prefix: Values = None
    labels: LabelPatterns | None = None


class IdCriteria(EventCriteria):
    id: Annotated[list[UUID] | None, Field(max_length=MAX_VALUES)] = None


class TextCriteria(EventCriteria):
    """Words or "quoted phrases" found in the event's name, resources or payload (any case):
    any plain term, every `+term`, no `-term` or `!term`."""

    query: Annotated[FilterText, Field(max_length=200)]


class EventOrder(StrEnum):
    ASC = "ASC"
    DESC = "DESC"


class EventFilter(EventCriteria):
    """Which stored events a caller wants, in which order (by occurrence)."""

    occurred: OccurredCriteria = Field(default_factory=OccurredCriteria)
    event: NameCriteria | None = None
    resource: ResourceCriteria | None = None
    related: RelatedCriteria | list[RelatedCriteria] | None = None
    any_resource: AnyResourceCriteria | list[AnyResourceCriteria] | None = None
    id: IdCriteria = Field(default_factory=IdCriteria)
    text: TextCriteria | None = None
    order: EventOrder = EventOrder.DESC

    def related_criteria(self) -> list[RelatedCriteria]:
        """Each related-resource criterion, to be met by any related resource, all ANDed."""
        return as_list(self.related)

    def any_resource_criteria(self) -> list[AnyResourceCriteria]:
        return as_list(self.any_resource)


T = TypeVar("T")


def as_list(value: T | list[T] | None) -> list[T]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def null_is_every_event(value: Any) -> Any:
    return {} if value is None else value


class EventFilterBody(BaseModel):
    """The body of `POST /api/events/filter`: the filter (null: every event of the last 180
    days) and the page size."""

    filter: Annotated[EventFilter, BeforeValidator(null_is_every_event)] = Field(
        default_factory=EventFilter
    )
    limit: Annotated[int, Field(ge=0, le=EVENT_PAGE_SIZE)] = EVENT_PAGE_SIZE


class TimeUnit(StrEnum):
    week = "week"
    day = "day"
    hour = "hour"
    minute = "minute"
    second = "second"

    def span(self, interval: float) -> timedelta:
        """The length of one time bucket of `interval` units."""
        return timedelta(seconds=UNIT_SECONDS[self] * interval)


UNIT_SECONDS: Final = {
    TimeUnit.week: 7 * 86_400,
    TimeUnit.day: 86_400,
    TimeUnit.hour: 3_600,
    TimeUnit.minute: 60,
    TimeUnit.second: 1,
}


class Countable(StrEnum):
    """What `POST /api/events/count-by/{countable}` groups events by."""

    day = "day"  #: the time buckets of one day
    time = "time"  #: time buckets of the body's `time_interval` of `time_unit`
    event = "event"  #: the event's name
    resource = "resource"  #: the event's resource id, labelled with its name


class EventCountBody(BaseModel):
    """The body of `POST /api/events/count-by/{countable}`."""

    filter: EventFilter
    time_unit: TimeUnit = TimeUnit.day
    time_interval: Annotated[float, Field(ge=0.01, allow_inf_nan=False)] = 1.0


class EventResponse(BaseModel):
    """A stored event, as `/api/events/filter` lists it."""

    occurred: datetime
    event: str
    resource: dict[str, str]
    related: list[dict[str, str]]
    payload: dict[str, Any]
    id: UUID
    follows: UUID | None
    received: datetime


class EventPage(BaseModel):
    """One page of events, the number of all that match, and the URL of the next page."""

    events: list[EventResponse]
    total: int
    next_page: str | None


class EventCount(BaseModel):
    """How many matching events share one value (a time bucket, a name, a resource)."""

    value: str
    label: str
    count: int
    start_time: datetime
    end_time: datetime
