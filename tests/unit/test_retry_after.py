"""Reading how long a receiver asked us to wait, in each of the ways services say it."""

from __future__ import annotations

from datetime import UTC, datetime

from models.notifications.retry_after import (
    body_retry_after_ms,
    rate_limit_period_ms,
    rate_limit_reset_ms,
    retry_after_ms,
)

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


def test_retry_after_in_seconds_maybe_fractional_and_any_case() -> None:
    assert retry_after_ms({"Retry-After": "7"}) == 7000
    assert retry_after_ms({"retry-after": "1.5"}) == 1500
    assert retry_after_ms({"Retry-After": "-3"}) == 0


def test_retry_after_as_an_http_date() -> None:
    assert retry_after_ms({"Retry-After": "Wed, 25 Nov 2026 12:00:30 GMT"}, now=NOW) == 30_000
    assert retry_after_ms({"Retry-After": "Wed, 25 Nov 2026 11:00:00 GMT"}, now=NOW) == 0


def test_no_or_unreadable_retry_after_is_none() -> None:
    assert retry_after_ms({}) is None
    assert retry_after_ms({"Retry-After": "soon"}) is None


def test_sendgrids_reset_time_discords_body_and_opsgenies_period() -> None:
    reset = str(int(NOW.timestamp()) + 12)
    assert rate_limit_reset_ms({"X-RateLimit-Reset": reset}, now=NOW) == 12_000
    assert rate_limit_reset_ms({}, now=NOW) is None
    assert body_retry_after_ms('{"message": "rate limited", "retry_after": 0.25}') == 250
    assert body_retry_after_ms("not json") is None
    assert rate_limit_period_ms({"X-RateLimit-Period-In-Sec": "60"}) == 60_000
