"""Wire schemas of deployment schedules: interval, cron and rrule, each with its time zone.

A schedule is stored as the dict Prefect serialises it to, so the scheduler reads back what
the client sent: `{"interval": seconds, "anchor_date": iso, "timezone": ...}`, `{"cron": ...,
"timezone": ..., "day_or": bool}` or `{"rrule": ..., "timezone": ...}`. An invalid cron
expression (one the scheduler's reading in models/coordination/schedule_times.py cannot
read), recurrence rule or time zone is refused here, naming what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, Final
from uuid import UUID
from zoneinfo import ZoneInfo, available_timezones

import dateutil.rrule
from cronsim import CronSimError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    field_validator,
    model_validator,
)

from models.coordination.schedule_times import cron_clock
from models.db.types import utcnow
from models.schemas.nulls import nulls_are_defaults

#: The longest recurrence rule accepted (about a year of RDATEs, as Prefect allows).
MAX_RRULE_LENGTH: Final = 6500
#: dateutil's implicit start of a rule without DTSTART, which Prefect writes out.
DEFAULT_RRULE_ANCHOR: Final = datetime(2020, 1, 1)
#: A cron field croniter reads as random, which Prefect refuses. (A hashed one, `H`, is not
#: readable without a key, so it is refused as invalid.)
RANDOM: Final = "r"


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


def check_time_zone(name: str | None) -> str | None:
    if name and name not in known_time_zones():
        raise ValueError(
            f'Invalid timezone: "{name}" (specify in IANA tzdata format, for example,'
            " America/New_York)"
        )
    return name


def seconds_of(value: Any) -> Any:
    """An interval given as seconds (a number) or as a duration (`timedelta`, "PT1H")."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def iso_anchor(moment: datetime) -> str:
    """The anchor date as Prefect writes it: with the offset it was given in (a `Z` for UTC;
    a naive one was read as UTC)."""
    return aware(moment).isoformat().replace("+00:00", "Z")


Seconds = Annotated[
    timedelta,
    BeforeValidator(seconds_of),
    PlainSerializer(lambda value: value.total_seconds(), return_type=float),
]
AnchorDate = Annotated[datetime, PlainSerializer(iso_anchor, return_type=str)]
#: An IANA time zone name (or none), refused naming it otherwise.
TimeZone = Annotated[str | None, AfterValidator(check_time_zone)]


class ScheduleModel(BaseModel):
    """One kind of schedule; unknown keys are refused, so a typo is not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class IntervalSchedule(ScheduleModel):
    """Every `interval` from `anchor_date`, counted in `timezone` (across DST as Prefect)."""

    interval: Seconds
    anchor_date: AnchorDate = Field(default_factory=utcnow)
    timezone: TimeZone = None

    @field_validator("interval")
    @classmethod
    def positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("The interval must be positive")
        return value

    @model_validator(mode="after")
    def zone_from_anchor(self) -> IntervalSchedule:
        if self.timezone is None:
            zone = self.anchor_date.tzinfo
            # An anchor parsed from ISO text carries an offset, not a zone: that reads as UTC.
            name = zone.key if isinstance(zone, ZoneInfo) else None
            self.timezone = name if name in known_time_zones() else "UTC"
        self.anchor_date = aware(self.anchor_date)
        return self


class CronSchedule(ScheduleModel):
    """The times a cron expression names, read in `timezone`; `day_or` joins day fields."""

    cron: str
    timezone: TimeZone = None
    day_or: bool = True

    @field_validator("cron")
    @classmethod
    def valid_cron(cls, value: str) -> str:
        """Valid when the scheduler can read it; a random field (`R`) would be readable, and
        is refused after the rest is read, as the reference refuses it."""
        fields = value.split()
        random = [field for field in fields if field.casefold() == RANDOM]
        readable = " ".join("*" if field in random else field for field in fields)
        try:
            cron_clock(readable, datetime(2020, 1, 1))
        except (CronSimError, ValueError, IndexError, KeyError):
            raise ValueError(f'Invalid cron string: "{value}"') from None
        if random:
            raise ValueError(f'Random and Hashed expressions are unsupported, received: "{value}"')
        return value


class RRuleSchedule(ScheduleModel):
    """The times an iCalendar recurrence rule names, read in `timezone`."""

    rrule: str
    timezone: TimeZone = "UTC"

    @field_validator("rrule")
    @classmethod
    def valid_rrule(cls, value: str) -> str:
        try:
            dateutil.rrule.rrulestr(value, cache=True)
        except (ValueError, TypeError) as exc:
            raise ValueError(f'Invalid RRule string "{value}": {exc}') from None
        if len(value) > MAX_RRULE_LENGTH:
            raise ValueError(
                f'Invalid RRule string "{value[:40]}..."\n'
                f"Max length is {MAX_RRULE_LENGTH}, got {len(value)}"
            )
        return value

    @model_validator(mode="after")
    def anchored(self) -> RRuleSchedule:
        self.rrule = with_dtstart(self.rrule, self.timezone)
        return self


def with_dtstart(rule: str, zone: str | None, now: datetime | None = None) -> str:
    """The rule with an explicit DTSTART, as the reference stores it: without one, dateutil
    counts every occurrence from its implicit 2020-01-01 anchor on each use. A minutely or
    secondly rule without COUNT starts at the latest occurrence of that series not after
    now (the same occurrences, read in the schedule's zone); any other keeps the 2020 anchor.
    """
    if "DTSTART" in rule.upper():
        return rule
    parsed = dateutil.rrule.rrulestr(rule, dtstart=DEFAULT_RRULE_ANCHOR, cache=False)
    anchor = DEFAULT_RRULE_ANCHOR
    if isinstance(parsed, dateutil.rrule.rrule):
        step = {dateutil.rrule.SECONDLY: 1, dateutil.rrule.MINUTELY: 60}.get(parsed._freq)
        if step is not None and parsed._count is None:
            period = step * parsed._interval
            local_now = (now or utcnow()).astimezone(ZoneInfo(zone or "UTC")).replace(tzinfo=None)
            elapsed = (local_now - DEFAULT_RRULE_ANCHOR).total_seconds()
            if elapsed > 0:
                anchor += timedelta(seconds=elapsed // period * period)
    return f"DTSTART:{anchor.strftime('%Y%m%dT%H%M%S')}\n{rule}"


def read_schedule(value: Any) -> Any:
    """The kind of schedule its keys name; its errors name the expression or the zone."""
    if not isinstance(value, dict):
        return value
    for key, kind in (("interval", IntervalSchedule), ("cron", CronSchedule)):
        if key in value:
            return kind.model_validate(value)
    if "rrule" in value:
        return RRuleSchedule.model_validate(value)
    raise ValueError("A schedule has one of the keys interval, cron or rrule")


Schedule = Annotated[
    IntervalSchedule | CronSchedule | RRuleSchedule, BeforeValidator(read_schedule)
]


def stored_schedule(schedule: IntervalSchedule | CronSchedule | RRuleSchedule) -> dict[str, Any]:
    """The schedule as it is stored and answered."""
    return schedule.model_dump(mode="json")


class ScheduleFields(BaseModel):
    """What a deployment schedule carries besides its schedule."""

    model_config = ConfigDict(extra="ignore")

    active: bool = True
    max_scheduled_runs: int | None = Field(default=None, gt=0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    slug: str | None = Field(default=None, max_length=255)

    null_is_default = nulls_are_defaults("active", "parameters")


class DeploymentScheduleCreate(ScheduleFields):
    """One schedule of a deployment, as POST /api/deployments/ and /{id}/schedules take it."""

    schedule: Schedule
    #: The slug of the schedule this one renames (`prefect deploy` with a changed slug).
    replaces: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "schedule": stored_schedule(self.schedule),
            "active": self.active,
            "max_scheduled_runs": self.max_scheduled_runs,
            "parameters": self.parameters,
            "slug": self.slug,
        }


#: The body of POST /api/deployments/{id}/schedules: a list of schedules.
schedule_list: Final = TypeAdapter(list[DeploymentScheduleCreate])


class DeploymentScheduleUpdate(BaseModel):
    """The body of PATCH /api/deployments/{id}/schedules/{schedule_id}: only what is sent."""

    model_config = ConfigDict(extra="ignore")

    schedule: Schedule | None = None
    active: bool | None = None
    max_scheduled_runs: int | None = Field(default=None, gt=0)
    parameters: dict[str, Any] | None = None
    slug: str | None = Field(default=None, max_length=255)
    replaces: str | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to set: the fields sent, a null meaning "as it is" where it must."""
        sent = self.model_fields_set
        changes: dict[str, Any] = {}
        if "schedule" in sent and self.schedule is not None:
            changes["schedule"] = stored_schedule(self.schedule)
        for name in ("active", "parameters"):
            if name in sent and getattr(self, name) is not None:
                changes[name] = getattr(self, name)
        for name in ("max_scheduled_runs", "slug"):
            if name in sent:
                changes[name] = getattr(self, name)
        return changes


class DeploymentScheduleResponse(BaseModel):
    """A deployment schedule as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    deployment_id: UUID
    schedule: dict[str, Any]
    active: bool
    max_scheduled_runs: int | None
    parameters: dict[str, Any]
    slug: str | None
