"""Upcoming times of stored schedules: interval, cron and rrule, in time zones, across
daylight-saving changes, as Prefect 3.9.1's server gives them.

Each expected list is what the reference's `get_dates` returned for the same schedule,
start, end and count (America/New_York changes on 2026-03-08 and 2026-11-01,
Europe/London on 2026-03-29 and 2026-10-25).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.coordination.schedule_times import schedule_times, upcoming_times

REFERENCE_CASES = [
    pytest.param(
        {
            "interval": 3600,
            "anchor_date": "2026-01-01T00:00:00+00:00",
            "timezone": "America/New_York",
        },
        "2026-03-08T04:00:00+00:00",
        None,
        6,
        [
            "2026-03-07T23:00:00-05:00",
            "2026-03-08T00:00:00-05:00",
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T04:00:00-04:00",
            "2026-03-08T05:00:00-04:00",
        ],
        id="hourly-new-york-spring-forward",
    ),
    pytest.param(
        {
            "interval": 3600,
            "anchor_date": "2026-01-01T00:00:00+00:00",
            "timezone": "America/New_York",
        },
        "2026-11-01T04:00:00+00:00",
        None,
        6,
        [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T03:00:00-05:00",
            "2026-11-01T04:00:00-05:00",
            "2026-11-01T05:00:00-05:00",
        ],
        id="hourly-new-york-fall-back",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2026-01-01T02:30:00-05:00",
            "timezone": "America/New_York",
        },
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T02:30:00-05:00",
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T03:30:00-04:00",
            "2026-03-10T03:30:00-04:00",
        ],
        id="daily-0230-new-york-skipped-time-moves-series",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2026-01-01T01:30:00-05:00",
            "timezone": "America/New_York",
        },
        "2026-10-30T00:00:00+00:00",
        None,
        5,
        [
            "2026-10-30T01:30:00-04:00",
            "2026-10-31T01:30:00-04:00",
            "2026-11-01T01:30:00-05:00",
            "2026-11-02T01:30:00-05:00",
            "2026-11-03T01:30:00-05:00",
        ],
        id="daily-0130-new-york-fall-back",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2026-01-01T09:00:00+00:00",
            "timezone": "Europe/London",
        },
        "2026-03-27T00:00:00+00:00",
        None,
        4,
        [
            "2026-03-27T09:00:00+00:00",
            "2026-03-28T09:00:00+00:00",
            "2026-03-29T09:00:00+01:00",
            "2026-03-30T09:00:00+01:00",
        ],
        id="daily-0900-london-spring-forward",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2026-01-01T01:30:00+00:00",
            "timezone": "Europe/London",
        },
        "2026-03-27T00:00:00+00:00",
        None,
        4,
        [
            "2026-03-27T01:30:00+00:00",
            "2026-03-28T01:30:00+00:00",
            "2026-03-29T02:30:00+01:00",
            "2026-03-30T02:30:00+01:00",
        ],
        id="daily-0130-london-spring-forward",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2026-01-01T01:30:00+00:00",
            "timezone": "Europe/London",
        },
        "2026-10-23T00:00:00+00:00",
        None,
        4,
        [
            "2026-10-23T02:30:00+01:00",
            "2026-10-24T02:30:00+01:00",
            "2026-10-25T02:30:00+00:00",
            "2026-10-26T02:30:00+00:00",
        ],
        id="daily-0130-london-fall-back",
    ),
    pytest.param(
        {"interval": 1800, "anchor_date": "2026-01-01T00:10:00+00:00", "timezone": "Europe/London"},
        "2026-10-25T00:00:00+00:00",
        None,
        6,
        [
            "2026-10-25T01:10:00+01:00",
            "2026-10-25T01:40:00+01:00",
            "2026-10-25T02:10:00+00:00",
            "2026-10-25T02:40:00+00:00",
            "2026-10-25T03:10:00+00:00",
            "2026-10-25T03:40:00+00:00",
        ],
        id="half-hourly-london-fall-back",
    ),
    pytest.param(
        {
            "interval": 90000,
            "anchor_date": "2026-03-01T00:00:00+00:00",
            "timezone": "America/New_York",
        },
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T00:00:00-05:00",
            "2026-03-07T01:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-09T04:00:00-04:00",
            "2026-03-10T05:00:00-04:00",
        ],
        id="25-hours-new-york-spring-forward",
    ),
    pytest.param(
        {
            "interval": 604800,
            "anchor_date": "2026-01-05T08:00:00-05:00",
            "timezone": "America/New_York",
        },
        "2026-02-20T00:00:00+00:00",
        None,
        5,
        [
            "2026-02-23T08:00:00-05:00",
            "2026-03-02T08:00:00-05:00",
            "2026-03-09T08:00:00-04:00",
            "2026-03-16T08:00:00-04:00",
            "2026-03-23T08:00:00-04:00",
        ],
        id="weekly-new-york-spring-forward",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2027-01-01T02:30:00-05:00",
            "timezone": "America/New_York",
        },
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T02:30:00-05:00",
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00",
        ],
        id="daily-before-anchor-keeps-anchor-clock-time",
    ),
    pytest.param(
        {"interval": 60, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"},
        "2026-05-01T12:00:30+00:00",
        "2026-05-01T12:05:00+00:00",
        None,
        [
            "2026-05-01T12:01:00+00:00",
            "2026-05-01T12:02:00+00:00",
            "2026-05-01T12:03:00+00:00",
            "2026-05-01T12:04:00+00:00",
            "2026-05-01T12:05:00+00:00",
        ],
        id="minutely-until-end",
    ),
    pytest.param(
        {"interval": 120, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"},
        "2026-05-01T12:00:00+00:00",
        None,
        3,
        ["2026-05-01T12:00:00+00:00", "2026-05-01T12:02:00+00:00", "2026-05-01T12:04:00+00:00"],
        id="every-two-minutes-anchor-aligned",
    ),
    pytest.param(
        {
            "interval": 86400,
            "anchor_date": "2019-06-01T02:30:00-04:00",
            "timezone": "America/New_York",
        },
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T03:30:00-05:00",
            "2026-03-07T03:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T03:30:00-04:00",
            "2026-03-10T03:30:00-04:00",
        ],
        id="daily-anchored-years-ago-new-york",
    ),
    pytest.param(
        {"cron": "30 2 * * *", "timezone": "America/New_York", "day_or": True},
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T02:30:00-05:00",
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00",
        ],
        id="cron-0230-new-york-spring-forward",
    ),
    pytest.param(
        {"cron": "30 1 * * *", "timezone": "America/New_York", "day_or": True},
        "2026-10-30T00:00:00+00:00",
        None,
        5,
        [
            "2026-10-30T01:30:00-04:00",
            "2026-10-31T01:30:00-04:00",
            "2026-11-01T01:30:00-04:00",
            "2026-11-02T01:30:00-05:00",
            "2026-11-03T01:30:00-05:00",
        ],
        id="cron-0130-new-york-fall-back",
    ),
    pytest.param(
        {"cron": "0 * * * *", "timezone": "America/New_York", "day_or": True},
        "2026-11-01T04:00:00+00:00",
        None,
        6,
        [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T03:00:00-05:00",
            "2026-11-01T04:00:00-05:00",
            "2026-11-01T05:00:00-05:00",
        ],
        id="cron-hourly-new-york-fall-back",
    ),
    pytest.param(
        {"cron": "0 * * * *", "timezone": "America/New_York", "day_or": True},
        "2026-03-08T05:00:00+00:00",
        None,
        5,
        [
            "2026-03-08T00:00:00-05:00",
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T04:00:00-04:00",
            "2026-03-08T05:00:00-04:00",
        ],
        id="cron-hourly-new-york-spring-forward",
    ),
    pytest.param(
        {"cron": "*/30 * * * *", "timezone": "Europe/London", "day_or": True},
        "2026-03-29T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-29T00:00:00+00:00",
            "2026-03-29T00:30:00+00:00",
            "2026-03-29T02:00:00+01:00",
            "2026-03-29T02:30:00+01:00",
            "2026-03-29T03:00:00+01:00",
        ],
        id="cron-half-hourly-london-spring-forward",
    ),
    pytest.param(
        {"cron": "*/30 * * * *", "timezone": "Europe/London", "day_or": True},
        "2026-10-25T00:00:00+00:00",
        None,
        6,
        [
            "2026-10-25T01:00:00+01:00",
            "2026-10-25T01:30:00+01:00",
            "2026-10-25T02:00:00+00:00",
            "2026-10-25T02:30:00+00:00",
            "2026-10-25T03:00:00+00:00",
            "2026-10-25T03:30:00+00:00",
        ],
        id="cron-half-hourly-london-fall-back",
    ),
    pytest.param(
        {"cron": "0 9 * * *", "timezone": "Europe/London", "day_or": True},
        "2026-03-27T00:00:00+00:00",
        None,
        4,
        [
            "2026-03-27T09:00:00+00:00",
            "2026-03-28T09:00:00+00:00",
            "2026-03-29T09:00:00+01:00",
            "2026-03-30T09:00:00+01:00",
        ],
        id="cron-0900-london-spring-forward",
    ),
    pytest.param(
        {"cron": "0 12 1-7 * 5", "timezone": "UTC", "day_or": False},
        "2026-01-01T00:00:00+00:00",
        None,
        4,
        [
            "2026-01-02T12:00:00+00:00",
            "2026-02-06T12:00:00+00:00",
            "2026-03-06T12:00:00+00:00",
            "2026-04-03T12:00:00+00:00",
        ],
        id="cron-day-and-first-friday",
    ),
    pytest.param(
        {"cron": "0 12 1-7 * 5", "timezone": "UTC", "day_or": True},
        "2026-01-01T00:00:00+00:00",
        None,
        4,
        [
            "2026-01-01T12:00:00+00:00",
            "2026-01-02T12:00:00+00:00",
            "2026-01-03T12:00:00+00:00",
            "2026-01-04T12:00:00+00:00",
        ],
        id="cron-day-or-first-week-or-friday",
    ),
    pytest.param(
        {"cron": "0 0 * * *", "timezone": "UTC", "day_or": True},
        "2026-01-01T00:00:00+00:00",
        "2026-01-04T00:00:00+00:00",
        None,
        [
            "2026-01-01T00:00:00+00:00",
            "2026-01-02T00:00:00+00:00",
            "2026-01-03T00:00:00+00:00",
            "2026-01-04T00:00:00+00:00",
        ],
        id="cron-daily-until-end",
    ),
    pytest.param(
        {"cron": "0 9 * * 1-5", "timezone": "Asia/Tokyo", "day_or": True},
        "2026-01-01T00:00:00+00:00",
        None,
        6,
        [
            "2026-01-01T09:00:00+09:00",
            "2026-01-02T09:00:00+09:00",
            "2026-01-05T09:00:00+09:00",
            "2026-01-06T09:00:00+09:00",
            "2026-01-07T09:00:00+09:00",
            "2026-01-08T09:00:00+09:00",
        ],
        id="cron-weekdays-tokyo",
    ),
    pytest.param(
        {"rrule": "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "timezone": "America/New_York"},
        "2026-03-06T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-06T02:30:00-05:00",
            "2026-03-07T02:30:00-05:00",
            "2026-03-08T01:30:00-05:00",
            "2026-03-09T02:30:00-04:00",
            "2026-03-10T02:30:00-04:00",
        ],
        id="rrule-0230-new-york-spring-forward",
    ),
    pytest.param(
        {"rrule": "FREQ=HOURLY", "timezone": "America/New_York"},
        "2026-11-01T04:00:00+00:00",
        None,
        5,
        [
            "2026-11-01T00:00:00-04:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T03:00:00-05:00",
            "2026-11-01T04:00:00-05:00",
        ],
        id="rrule-hourly-new-york-fall-back",
    ),
    pytest.param(
        {
            "rrule": "DTSTART:20260101T090000\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE",
            "timezone": "Europe/London",
        },
        "2026-03-20T00:00:00+00:00",
        None,
        5,
        [
            "2026-03-23T09:00:00+00:00",
            "2026-03-25T09:00:00+00:00",
            "2026-03-30T09:00:00+01:00",
            "2026-04-01T09:00:00+01:00",
            "2026-04-06T09:00:00+01:00",
        ],
        id="rrule-weekly-london-dtstart",
    ),
    pytest.param(
        {"rrule": "DTSTART:20260101T090000\nRRULE:FREQ=DAILY;COUNT=3", "timezone": "UTC"},
        "2025-12-01T00:00:00+00:00",
        None,
        10,
        ["2026-01-01T09:00:00+00:00", "2026-01-02T09:00:00+00:00", "2026-01-03T09:00:00+00:00"],
        id="rrule-count-ends",
    ),
    pytest.param(
        {
            "rrule": "DTSTART:20260101T090000\nRRULE:FREQ=DAILY\nEXDATE:20260103T090000",
            "timezone": "UTC",
        },
        "2026-01-01T00:00:00+00:00",
        None,
        4,
        [
            "2026-01-01T09:00:00+00:00",
            "2026-01-02T09:00:00+00:00",
            "2026-01-04T09:00:00+00:00",
            "2026-01-05T09:00:00+00:00",
        ],
        id="rrule-exdate",
    ),
    pytest.param(
        {"rrule": "FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "timezone": "Europe/London"},
        "2026-10-23T00:00:00+00:00",
        None,
        4,
        [
            "2026-10-23T01:30:00+01:00",
            "2026-10-24T01:30:00+01:00",
            "2026-10-25T01:30:00+01:00",
            "2026-10-26T01:30:00+00:00",
        ],
        id="rrule-0130-london-fall-back",
    ),
    pytest.param(
        {"rrule": "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "timezone": "America/New_York"},
        "2026-03-08T07:00:00+00:00",
        None,
        3,
        ["2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00", "2026-03-11T02:30:00-04:00"],
        id="rrule-skipped-time-just-before-start",
    ),
    pytest.param(
        {"rrule": "FREQ=HOURLY;INTERVAL=2", "timezone": "America/Santiago"},
        "2026-09-06T04:00:00+00:00",
        None,
        3,
        ["2026-09-06T02:00:00-03:00", "2026-09-06T04:00:00-03:00", "2026-09-06T06:00:00-03:00"],
        id="rrule-two-hourly-santiago-midnight-change",
    ),
    pytest.param(
        {"cron": "@hourly", "timezone": "UTC", "day_or": True},
        "2026-05-01T00:00:00+00:00",
        None,
        2,
        ["2026-05-01T00:00:00+00:00", "2026-05-01T01:00:00+00:00"],
        id="cron-nickname-hourly",
    ),
    pytest.param(
        {"cron": "@weekly", "timezone": "Europe/London", "day_or": True},
        "2026-05-01T00:00:00+00:00",
        None,
        2,
        ["2026-05-03T00:00:00+01:00", "2026-05-10T00:00:00+01:00"],
        id="cron-nickname-weekly",
    ),
    pytest.param(
        {"cron": "*/5 * * * * *", "timezone": "UTC", "day_or": True},
        "2026-05-01T00:00:00+00:00",
        None,
        3,
        ["2026-05-01T00:00:00+00:00", "2026-05-01T00:00:01+00:00", "2026-05-01T00:00:02+00:00"],
        id="cron-six-fields-seconds-last",
    ),
    pytest.param(
        {"cron": "15 1,2,3 * * *", "timezone": "Australia/Lord_Howe", "day_or": True},
        "2026-04-04T14:00:00+00:00",
        None,
        4,
        [
            "2026-04-05T01:15:00+11:00",
            "2026-04-05T02:15:00+10:30",
            "2026-04-05T03:15:00+10:30",
            "2026-04-06T01:15:00+10:30",
        ],
        id="cron-lord-howe-half-hour-fall-back",
    ),
    pytest.param(
        {
            "interval": 5400.0,
            "anchor_date": "2026-01-01T00:00:00+00:00",
            "timezone": "Australia/Lord_Howe",
        },
        "2026-04-04T13:00:00+00:00",
        None,
        4,
        [
            "2026-04-05T00:30:00+11:00",
            "2026-04-05T01:30:00+10:30",
            "2026-04-05T03:00:00+10:30",
            "2026-04-05T04:30:00+10:30",
        ],
        id="ninety-minutes-lord-howe-half-hour-fall-back",
    ),
]


@pytest.mark.parametrize(("schedule", "start", "end", "n", "expected"), REFERENCE_CASES)
def test_times_are_the_references(
    schedule: dict[str, Any], start: str, end: str | None, n: int | None, expected: list[str]
) -> None:
    times = schedule_times(
        schedule,
        datetime.fromisoformat(start),
        datetime.fromisoformat(end) if end else None,
        n,
    )
    assert [moment.isoformat() for moment in times] == expected


def test_times_are_in_the_schedules_time_zone() -> None:
    schedule = {"cron": "0 9 * * *", "timezone": "America/New_York", "day_or": True}
    [first] = schedule_times(schedule, datetime(2026, 6, 1, tzinfo=UTC))
    assert str(first.tzinfo) == "America/New_York"
    assert (first.hour, first.utcoffset()) == (9, timedelta(hours=-4))


def test_a_start_between_two_times_gives_the_next_one_on_the_anchors_grid() -> None:
    schedule = {"interval": 600, "anchor_date": "2026-01-01T00:05:00+00:00", "timezone": "UTC"}
    start = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)
    assert schedule_times(schedule, start, n=2) == [
        datetime(2026, 5, 1, 12, 5, tzinfo=UTC),
        datetime(2026, 5, 1, 12, 15, tzinfo=UTC),
    ]


def test_a_time_equal_to_the_start_is_included() -> None:
    start = datetime(2026, 5, 1, 12, tzinfo=UTC)
    for schedule in (
        {"interval": 3600, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"},
        {"cron": "0 * * * *", "timezone": "UTC"},
        {"rrule": "FREQ=HOURLY", "timezone": "UTC"},
    ):
        assert schedule_times(schedule, start, n=1) == [start], schedule


def test_without_a_count_an_end_gives_every_time_up_to_it_and_no_end_gives_one() -> None:
    schedule = {"cron": "*/15 * * * *", "timezone": "UTC"}
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert len(schedule_times(schedule, start, start + timedelta(hours=2))) == 9
    assert schedule_times(schedule, start) == [start]


def test_the_count_is_never_exceeded() -> None:
    schedule = {"interval": 60, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"}
    start = datetime(2026, 5, 1, tzinfo=UTC)
    assert len(schedule_times(schedule, start, start + timedelta(days=1), 5)) == 5


def test_a_generator_stops_after_about_a_thousand_candidates_as_the_reference() -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    for schedule in (
        {"interval": 1, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"},
        {"cron": "* * * * *", "timezone": "UTC"},
    ):
        times = list(upcoming_times(schedule, start, start + timedelta(days=10), 5000))
        assert len(times) == 1002, schedule  # what Prefect's get_dates gives here too


def test_an_unknown_kind_of_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="Unknown schedule"):
        list(upcoming_times({"every": "day"}, datetime(2026, 1, 1, tzinfo=UTC)))


def test_an_interval_may_be_stored_as_an_iso_duration() -> None:
    start = datetime(2026, 5, 1, 12, 0, 1, tzinfo=UTC)
    anchor = "2026-01-01T00:00:00+00:00"
    as_seconds = {"interval": 5400.0, "anchor_date": anchor, "timezone": "UTC"}
    as_duration = {"interval": "PT1H30M", "anchor_date": anchor, "timezone": "UTC"}
    expected = schedule_times(as_seconds, start, n=3)
    assert schedule_times(as_duration, start, n=3) == expected
    assert expected[0] == datetime(2026, 5, 1, 13, 30, tzinfo=UTC)
