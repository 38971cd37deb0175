"""Counting stored events by time bucket, name or resource, as `POST /api/events/count-by/…`.

Time buckets are counted from a fixed pivot, Monday 2024-04-01 UTC, so that a bucket is the
same whatever range is asked for: bucket n starts n spans after the pivot.
Every bucket of the filter's range is answered, empty ones with a count of 0, numbered from 0
and labelled with their start. Names and resources are answered most counted first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import RowMapping, func, select

from models.db.dialect import epoch_seconds, floor_of
from models.db.types import utcnow
from models.errors import InvalidRequest
from models.events.criteria import event_clauses
from models.events.tables import EventRow
from models.schemas.event_filters import Countable, EventCount, EventFilter, TimeUnit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: Time bucket 0 starts here (the Monday before the first event any Prefect server stored).
PIVOT: Final = datetime(2024, 4, 1, tzinfo=UTC)
#: The most time buckets one count answers, as on Prefect's server.
MAX_BUCKETS: Final = 1_000
ONE_MICROSECOND: Final = timedelta(microseconds=1)


@dataclass(frozen=True)
class Buckets:
    """Time buckets of `span`, the first being number `first` counted from the pivot."""

    span: timedelta
    first: int
    starts: list[datetime]


async def count_events(
    session: AsyncSession,
    wanted: EventFilter,
    countable: Countable,
    time_unit: TimeUnit,
    time_interval: float,
) -> list[EventCount]:
    """The matching events counted by `countable`; too many time buckets is a 422."""
    # As on Prefect's server, the range is checked against the unit asked for whatever is
    # counted; `day` then counts by days.
    check_bucket_count(wanted, time_unit.span(time_interval))
    if countable is Countable.day:
        time_unit, time_interval = TimeUnit.day, 1.0
    clauses = event_clauses(wanted, session.get_bind().dialect.name)
    if countable in (Countable.day, Countable.time):
        buckets = time_buckets(wanted, time_unit, time_interval)
        index = floor_of(
            (epoch_seconds(EventRow.occurred) - PIVOT.timestamp()) / buckets.span.total_seconds()
        )
        rows = await session.execute(
            select(index.label("bucket"), func.count()).where(*clauses).group_by("bucket")
        )
        return bucket_counts(buckets, {int(bucket): count for bucket, count in rows})
    value, label = grouping(countable)
    rows = await session.execute(
        select(
            value.label("value"),
            label.label("label"),
            func.count().label("count"),
            func.min(EventRow.occurred).label("start_time"),
            func.max(EventRow.occurred).label("end_time"),
        )
        .where(*clauses)
        .group_by(value, label)
    )
    return value_counts(rows.mappings().all())


def check_bucket_count(wanted: EventFilter, span: timedelta) -> None:
    buckets = math.ceil((wanted.occurred.until - wanted.occurred.since) / span)
    if buckets > MAX_BUCKETS:
        raise InvalidRequest(
            f"The given interval would create {buckets} buckets, which is too many. Please "
            f"increase the interval or reduce the time range to produce {MAX_BUCKETS} "
            "buckets or fewer."
        )


def time_buckets(wanted: EventFilter, time_unit: TimeUnit, time_interval: float) -> Buckets:
    """The buckets from the one holding `since` to the one holding `until` (or the end of
    the current unit, if `until` is later)."""
    span = time_unit.span(time_interval)
    since, until = wanted.occurred.since, wanted.occurred.until
    now = utcnow()
    end = end_of_unit(now, time_unit) if until > now else until
    first = math.floor((since - PIVOT) / span)
    starts: list[datetime] = []
    try:
        start = PIVOT + span * first
        while start < end:
            starts.append(start)
            start += span
    except OverflowError:  # a bucket starting before year 1 or after 9999
        raise InvalidRequest("The time range is out of the range of dates") from None
    return Buckets(span, first, starts)


def end_of_unit(moment: datetime, time_unit: TimeUnit) -> datetime:
    """The last microsecond of the second, minute, hour, day or week (to Sunday) of `moment`."""
    end = moment.replace(microsecond=999_999)
    if time_unit is TimeUnit.second:
        return end
    end = end.replace(second=59)
    if time_unit is TimeUnit.minute:
        return end
    end = end.replace(minute=59)
    if time_unit is TimeUnit.hour:
        return end
    end = end.replace(hour=23)
    return end + timedelta(days=6 - end.weekday()) if time_unit is TimeUnit.week else end


def bucket_counts(buckets: Buckets, counted: dict[int, int]) -> list[EventCount]:
    return [
        EventCount(
            value=str(number),
            label=start.isoformat(),
            count=counted.get(buckets.first + number, 0),
            start_time=start,
            end_time=start + buckets.span - ONE_MICROSECOND,
        )
        for number, start in enumerate(buckets.starts)
    ]


def grouping(countable: Countable) -> tuple[Any, Any]:
    """What events are grouped by, and how a group is labelled."""
    if countable is Countable.event:
        return EventRow.event, EventRow.event
    name = func.coalesce(
        EventRow.resource["prefect.resource.name"].as_string(),
        EventRow.resource["prefect.name"].as_string(),
        EventRow.resource_id,
    )
    return EventRow.resource_id, name


def value_counts(rows: Sequence[RowMapping]) -> list[EventCount]:
    """One count per value, labelled as its latest event labels it (a resource's name may
    have changed), most counted first, then by label."""
    merged: dict[str, EventCount] = {}
    for row in rows:
        counted = merged.get(row["value"])
        if counted is None:
            merged[row["value"]] = EventCount.model_validate(dict(row))
            continue
        if row["end_time"] > counted.end_time:
            counted.label, counted.end_time = row["label"], row["end_time"]
        counted.count += row["count"]
        counted.start_time = min(counted.start_time, row["start_time"])
    return sorted(merged.values(), key=lambda counted: (-counted.count, counted.label))
