"""Schedule schemas: what each kind accepts, how it is stored, and what it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import TypeAdapter, ValidationError

from models.coordination.schedule_times import schedule_times
from models.schemas.schedules import (
    CronSchedule,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
    stored_schedule,
    with_dtstart,
)

schedule = TypeAdapter(Schedule)


@pytest.mark.parametrize(
    ("sent", "kind"),
    [
        ({"interval": 60}, IntervalSchedule),
        ({"cron": "0 0 * * *"}, CronSchedule),
        ({"rrule": "FREQ=DAILY"}, RRuleSchedule),
    ],
)
def test_the_key_names_the_kind(sent: dict[str, Any], kind: type) -> None:
    assert isinstance(schedule.validate_python(sent), kind)


def test_an_interval_is_seconds_a_duration_or_a_timedelta() -> None:
    for given in (90, 90.0, "PT1M30S", timedelta(seconds=90)):
        parsed = IntervalSchedule.model_validate({"interval": given})
        assert stored_schedule(parsed)["interval"] == 90.0


def test_an_interval_takes_its_zone_from_an_aware_anchor_else_utc() -> None:
    zoned = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/Chicago"))
    assert IntervalSchedule(interval=timedelta(hours=1), anchor_date=zoned).timezone == (
        "America/Chicago"
    )
    offset = IntervalSchedule.model_validate(
        {"interval": 60, "anchor_date": "2026-01-01T00:00:00+05:00"}
    )
    assert offset.timezone == "UTC"
    stored = stored_schedule(offset)
    assert stored == {
        "interval": 60.0,
        "anchor_date": "2026-01-01T00:00:00+05:00",
        "timezone": "UTC",
    }
    naive = IntervalSchedule.model_validate({"interval": 60, "anchor_date": "2026-01-01T00:00:00"})
    assert naive.anchor_date == datetime(2026, 1, 1, tzinfo=UTC)
    # Without an anchor, now.
    fresh = IntervalSchedule.model_validate({"interval": 60})
    assert abs(fresh.anchor_date - datetime.now(UTC)) < timedelta(seconds=10)


@pytest.mark.parametrize(
    ("sent", "complaint"),
    [
        ({"interval": 0}, "The interval must be positive"),
        ({"interval": "soon"}, "interval"),
        ({"cron": "* * *"}, 'Invalid cron string: "* * *"'),
        ({"cron": "0 0 * * * 60"}, 'Invalid cron string: "0 0 * * * 60"'),
        ({"cron": "? 0 * * *"}, "Invalid cron string"),
        ({"cron": "0 0 * * * * 2030"}, "Invalid cron string"),
        ({"cron": "H 0 * * *"}, 'Invalid cron string: "H 0 * * *"'),
        ({"cron": "R 0 * * 8"}, "Invalid cron string"),
        ({"cron": "R * * * *"}, "Random and Hashed expressions are unsupported"),
        ({"cron": "0 0 * * *", "timezone": "Europe/Nowhere"}, 'Invalid timezone: "Europe/Nowhere"'),
        ({"rrule": "FREQ=DAILY;BYHOUR=25"}, 'Invalid RRule string "FREQ=DAILY;BYHOUR=25"'),
        ({"rrule": "FREQ=DAILY;BYMINUTE=" + ",".join(["1"] * 3300)}, "Max length is 6500"),
        ({"interval": 60, "unknown": 1}, "Extra inputs are not permitted"),
        ({}, "one of the keys interval, cron or rrule"),
    ],
)
def test_bad_schedules_are_refused_naming_what_is_wrong(
    sent: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        schedule.validate_python(sent)
    assert complaint in str(refused.value)


def test_cron_and_rrule_are_stored_as_sent() -> None:
    cron = schedule.validate_python({"cron": "15 4 * * 1", "timezone": "Asia/Kolkata"})
    assert stored_schedule(cron) == {
        "cron": "15 4 * * 1",
        "timezone": "Asia/Kolkata",
        "day_or": True,
    }
    rrule = schedule.validate_python({"rrule": "FREQ=MONTHLY;BYMONTHDAY=1", "timezone": None})
    # Without DTSTART, dateutil's implicit 2020 anchor is written out, as the reference.
    assert stored_schedule(rrule) == {
        "rrule": "DTSTART:20200101T000000\nFREQ=MONTHLY;BYMONTHDAY=1",
        "timezone": None,
    }


def test_a_minutely_rule_starts_at_its_latest_occurrence_in_its_zone() -> None:
    now = datetime(2026, 6, 1, 12, 0, 30, tzinfo=UTC)
    # 7-minute steps from 2020-01-01 00:00 in Kolkata (UTC+5:30): 17:30 local is 12:00 UTC.
    assert with_dtstart("FREQ=MINUTELY;INTERVAL=7", "Asia/Kolkata", now).startswith("DTSTART:2026")
    anchored = with_dtstart("FREQ=MINUTELY;INTERVAL=7", "Asia/Kolkata", now)
    start = datetime.strptime(anchored.split("\n")[0], "DTSTART:%Y%m%dT%H%M%S")
    local_now = datetime(2026, 6, 1, 17, 30, 30)
    assert timedelta(0) <= local_now - start < timedelta(minutes=7)
    assert (start - datetime(2020, 1, 1)).total_seconds() % 420 == 0
    # Counted rules, and rules already anchored, keep what they have.
    assert with_dtstart("FREQ=MINUTELY;COUNT=3", None, now).startswith("DTSTART:20200101T000000")
    assert with_dtstart("DTSTART:20260101T000000\nFREQ=MINUTELY", None, now) == (
        "DTSTART:20260101T000000\nFREQ=MINUTELY"
    )


@pytest.mark.parametrize(
    ("cron", "first"),
    [
        ("@daily", datetime(2026, 1, 2)),
        ("@HOURLY", datetime(2026, 1, 1, 1)),
        ("0 9 ? * MON", datetime(2026, 1, 5, 9)),
        ("*/5 * * * * 30", datetime(2026, 1, 1, 0, 0, 30)),
        ("0 0 * * MON#2", datetime(2026, 1, 12)),
    ],
)
def test_a_cron_is_accepted_as_the_scheduler_reads_it(cron: str, first: datetime) -> None:
    """Nicknames, `?` in a day field and six fields (seconds last), as Prefect's server."""
    stored = stored_schedule(schedule.validate_python({"cron": cron}))
    assert stored["cron"] == cron
    start = datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert schedule_times(stored, start) == [first.replace(tzinfo=UTC)]


def test_a_deployment_schedule_row_and_a_partial_update() -> None:
    created = DeploymentScheduleCreate.model_validate(
        {"schedule": {"interval": 30}, "active": None, "parameters": None, "slug": "s"}
    )
    row = created.row()
    assert (row["active"], row["parameters"], row["slug"]) == (True, {}, "s")
    assert row["schedule"]["interval"] == 30.0
    update = DeploymentScheduleUpdate.model_validate({"active": False, "max_scheduled_runs": None})
    assert update.changes() == {"active": False, "max_scheduled_runs": None}
    with pytest.raises(ValidationError):
        DeploymentScheduleCreate.model_validate(
            {"schedule": {"interval": 30}, "max_scheduled_runs": 0}
        )
