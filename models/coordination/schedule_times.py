"""When a deployment's schedule fires: its upcoming times, from the schedule as stored.

A stored schedule is one of Prefect's three kinds, as its client serialises them:
`{"interval": seconds, "anchor_date": iso, "timezone": tz}`, `{"cron": expr, "timezone":
tz, "day_or": bool}` or `{"rrule": text, "timezone": tz}`. The calendar work is the
libraries' (cronsim, dateutil.rrule, zoneinfo); what is decided here is how local times
meet daylight-saving changes, which follows Prefect's server:

- An interval of whole days (or more) keeps the local clock time across a change; shorter
  intervals are exact elapsed time (an hourly schedule fires twice at 1am local when the
  clocks go back). A local time that does not exist moves forward by the gap, for good.
- A cron expression is read in local clock times: a time skipped by the spring change fires
  once the clock jumps past it, a time repeated in the autumn fires the first time only.
- An rrule is localised in its time zone and dateutil steps it.

Each generator looks at most `MAX_ITERATIONS` candidates past the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import islice
from typing import Any, Final
from zoneinfo import ZoneInfo

import dateutil.rrule
import dateutil.tz
from cronsim import CronSim
from pydantic import TypeAdapter

#: Candidate times a generator looks at, beyond which it stops (as Prefect's server).
MAX_ITERATIONS: Final = 1000
#: The dtstart an rrule without one is read from (Prefect's default anchor).
RRULE_DEFAULT_START: Final = date(2020, 1, 1)
#: An interval as stored: seconds (as Prefect's client sends it) or an ISO 8601 duration.
INTERVAL: Final = TypeAdapter(timedelta)
#: The step used to look for a time zone's next offset change (none are closer together).
TRANSITION_PROBE: Final = timedelta(days=7)


def upcoming_times(
    schedule: dict[str, Any],
    start: datetime,
    end: datetime | None = None,
    n: int | None = None,
) -> Iterator[datetime]:
    """The schedule's times on or after `start` (and not after `end`), at most `n`.

    Times are aware, in the schedule's time zone, in the order the schedule gives them.
    `n` defaults to MAX_ITERATIONS when an end is given, else to one. Raises ValueError for
    a schedule of no known kind.
    """
    if n is None:
        n = MAX_ITERATIONS if end is not None else 1
    if "interval" in schedule:
        return interval_times(schedule, start, end, n)
    if "cron" in schedule:
        return cron_times(schedule, start, end, n)
    if "rrule" in schedule:
        return rrule_times(schedule, start, end, n)
    raise ValueError(f"Unknown schedule: {sorted(schedule)}")


def schedule_times(
    schedule: dict[str, Any],
    start: datetime,
    end: datetime | None = None,
    n: int | None = None,
) -> list[datetime]:
    """`upcoming_times`, sorted (what Prefect's `get_dates` returns)."""
    return sorted(upcoming_times(schedule, start, end, n))


def zone_of(schedule: dict[str, Any]) -> ZoneInfo:
    return ZoneInfo(schedule.get("timezone") or "UTC")


def aware(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` in `zone`; a naive one is read as a local time of `zone`."""
    if moment.tzinfo is None:
        return resolve_local(moment, zone)
    return moment.astimezone(zone)


# Intervals.


def resolve_local(wall: datetime, zone: tzinfo) -> datetime:
    """A local clock time as an aware time of `zone`.

    A repeated time (clocks going back) is its second occurrence; a skipped one (clocks
    going forward) moves forward by the gap.
    """
    later = wall.replace(tzinfo=zone, fold=1).astimezone(UTC).astimezone(zone)
    if later.replace(tzinfo=None) == wall:
        return later
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def add_interval(moment: datetime, days: int, seconds: float) -> datetime:
    """`moment` moved on: whole days on the local clock, plus seconds of it; seconds alone
    are elapsed time."""
    zone = moment.tzinfo
    assert zone is not None
    if days:
        wall = moment.replace(tzinfo=None) + timedelta(days=days, seconds=seconds)
        return resolve_local(wall, zone)
    return (moment.astimezone(UTC) + timedelta(seconds=seconds)).astimezone(zone)


def next_offset_change(after: datetime, before: datetime) -> datetime | None:
    """The first instant after `after` and before `before` where the zone's offset changes."""
    zone = after.tzinfo
    assert zone is not None
    low = after.astimezone(UTC)
    limit = before.astimezone(UTC)
    offset = low.astimezone(zone).utcoffset()
    while low < limit:
        high = min(low + TRANSITION_PROBE, limit)
        if high.astimezone(zone).utcoffset() != offset:
            while high - low > timedelta(seconds=1):  # bisect to the second
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            return high.replace(microsecond=0).astimezone(zone)
        low = high
    return None


def seek_whole_days(anchor: datetime, start: datetime, days: int) -> datetime:
    """The first occurrence of an every-`days` series from `anchor` not before `start`.

    Steps across each offset change one occurrence at a time, so that a local time the
    change skips moves the rest of the series as stepping day by day would, but jumps over
    the stretches between changes.
    """
    current = anchor
    while current < start:
        boundary = start
        change = next_offset_change(current, start)
        if change is not None:
            boundary = change
        count = max(1, (boundary.date() - current.date()).days // days - 1)
        current = add_interval(current, days * count, 0)
    return current


def interval_times(
    schedule: dict[str, Any], start: datetime, end: datetime | None, n: int
) -> Iterator[datetime]:
    zone = zone_of(schedule)
    every = INTERVAL.validate_python(schedule["interval"])
    days = every.days
    seconds = every.total_seconds() - days * 86_400
    anchor_text = schedule.get("anchor_date")
    anchor = aware(datetime.fromisoformat(anchor_text) if anchor_text else datetime.now(UTC), zone)
    start = aware(start, zone)
    local_end = aware(end, zone) if end is not None else None

    def jump(steps: int) -> datetime:
        if days == 0 or seconds == 0:
            return add_interval(anchor, days * steps, seconds * steps)
        return add_interval(anchor, 0, every.total_seconds() * steps)

    steps = 0
    if start >= anchor and days and not seconds and zone.key != "UTC":
        moment = seek_whole_days(anchor, start, days)
    else:
        steps = int((start - anchor).total_seconds() / every.total_seconds())
        moment = jump(steps)
        while moment > start:  # a change of offset can make the estimate overshoot
            steps -= 1
            moment = jump(steps)
    # Before the anchor, whole-day steps are counted from it, so a skipped local time
    # on the way cannot shift the series away from the anchor's clock time.
    counted_from_anchor = start < anchor and days != 0 and seconds == 0

    def following(moment: datetime) -> datetime:
        nonlocal steps
        if counted_from_anchor and steps < 0:
            steps += 1
            return jump(steps)
        return add_interval(moment, days, seconds)

    while moment < start:
        moment = following(moment)
    yield from distinct_times(successive(moment, following), None, local_end, n)


def successive(first: datetime, following: Callable[[datetime], datetime]) -> Iterator[datetime]:
    """`first` and each time `following` gives after it."""
    moment = first
    while True:
        yield moment
        moment = following(moment)


def distinct_times(
    candidates: Iterable[datetime], start: datetime | None, end: datetime | None, n: int
) -> Iterator[datetime]:
    """The candidates not before `start`, each once, until one is past `end`, `n` were given
    or MAX_ITERATIONS (and two) were looked at: how every kind of schedule ends its times."""
    seen: set[datetime] = set()
    for moment in islice(candidates, MAX_ITERATIONS + 2):
        if start is not None and moment < start:  # placed before the gap it fell in
            continue
        if end is not None and moment > end:
            return
        if moment not in seen:
            seen.add(moment)
            yield moment
        if len(seen) >= n:
            return


# Cron.


#: Cron's nicknames, which Prefect's cron schedules accept, as the expressions they stand for.
CRON_NICKNAMES: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


#: Where croniter reads `?` (any): the day-of-month and day-of-week fields.
CRON_DAY_FIELDS: Final = (2, 4)


def cronsim_fields(expression: str) -> list[str]:
    """The six fields cronsim reads (seconds first) of a cron expression as Prefect reads
    it: five fields, a nickname, or six with the seconds last; `?` in a day field is `*`."""
    fields = CRON_NICKNAMES.get(expression.strip().lower(), expression).split()
    fields = [
        "*" if field == "?" and position in CRON_DAY_FIELDS else field
        for position, field in enumerate(fields)
    ]
    if len(fields) == 6:
        return [fields[5], *fields[:5]]
    return ["0", *fields]


def cron_clock(expression: str, start: datetime) -> CronSim:
    """The expression's clock times after `start` (naive), as the scheduler reads them.

    Raises CronSimError for an expression it cannot read: the API refuses those schedules.
    """
    return CronSim(" ".join(cronsim_fields(expression)), start)


def cron_times(
    schedule: dict[str, Any], start: datetime, end: datetime | None, n: int
) -> Iterator[datetime]:
    zone = zone_of(schedule)
    start = aware(start, zone)
    local_end = aware(end, zone) if end is not None else None
    # The clock times after the one before `start`, read without a zone; each is placed
    # in the zone on its own (a skipped time lands after the gap, a repeated one at its
    # first occurrence), so a later call from a later start never repeats a time.
    wall_start = start.replace(tzinfo=None) - timedelta(seconds=0 if start.microsecond else 1)
    fields = cronsim_fields(schedule["cron"])
    clock = cron_clock(schedule["cron"], wall_start)
    # Prefect's `day_or`: both day fields restricted match either (True) or both (False).
    clock.day_and = not schedule.get("day_or", True) or "*" in (fields[3], fields[5])
    placed = (wall.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone) for wall in clock)
    yield from distinct_times(placed, start, local_end, n)


# RRules.


def localised_rrule(text: str, timezone: str) -> dateutil.rrule.rrule | dateutil.rrule.rruleset:
    """The rule(s) of `text`, their start, end and listed dates as local times of `timezone`.

    dateutil keeps no time zone in the text of a rule, so the schedule's is put back here.
    """
    zone = dateutil.tz.gettz(timezone)
    parsed = dateutil.rrule.rrulestr(text, dtstart=RRULE_DEFAULT_START, cache=True)

    def localise(rule: dateutil.rrule.rrule) -> dateutil.rrule.rrule:
        changes: dict[str, Any] = {"dtstart": rule._dtstart.replace(tzinfo=zone)}
        if rule._until:
            changes["until"] = rule._until.replace(tzinfo=zone)
        return rule.replace(**changes)

    if isinstance(parsed, dateutil.rrule.rrule):
        return localise(parsed)
    parsed._rrule = [localise(rule) for rule in parsed._rrule]
    parsed._exrule = [localise(rule) for rule in parsed._exrule]
    parsed._rdate = [moment.replace(tzinfo=zone) for moment in parsed._rdate]
    parsed._exdate = [moment.replace(tzinfo=zone) for moment in parsed._exdate]
    return parsed


def place_rrule_time(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local time an rrule produced, in `zone`: a repeated time is its first occurrence,
    a skipped one keeps the offset the clocks move to (so it lands before the gap), as
    Prefect's server places them."""
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC).astimezone(zone)
    return wall.replace(tzinfo=zone, fold=1).astimezone(UTC).astimezone(zone)


def rrule_times(
    schedule: dict[str, Any], start: datetime, end: datetime | None, n: int
) -> Iterator[datetime]:
    timezone = schedule.get("timezone") or "UTC"
    zone = ZoneInfo(timezone)
    start = aware(start, zone)
    local_end = aware(end, zone) if end is not None else None
    rule = localised_rrule(schedule["rrule"], timezone)
    # A time the clocks skip can land before `start` (dateutil placed it after the gap).
    placed = (
        place_rrule_time(moment.replace(tzinfo=None), zone)
        for moment in rule.xafter(start, inc=True)
    )
    yield from distinct_times(placed, start, local_end, n)
