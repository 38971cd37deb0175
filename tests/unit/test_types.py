"""UtcDateTime: aware UTC in, aware UTC out, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from models.db.types import UtcDateTime

PARIS = timezone(timedelta(hours=1))


def test_an_aware_time_is_stored_as_utc() -> None:
    stored = UtcDateTime().process_bind_param(
        datetime(2026, 1, 1, 13, tzinfo=PARIS), sqlite.dialect()
    )
    assert stored == datetime(2026, 1, 1, 12)  # naive UTC text order on SQLite


def test_a_naive_time_from_sqlite_comes_back_aware_utc() -> None:
    loaded = UtcDateTime().process_result_value(datetime(2026, 1, 1, 12), sqlite.dialect())
    assert loaded == datetime(2026, 1, 1, 12, tzinfo=UTC) and loaded.tzinfo is UTC


def test_postgresql_keeps_the_offset_and_returns_utc() -> None:
    value = datetime(2026, 1, 1, 13, tzinfo=PARIS)
    assert UtcDateTime().process_bind_param(value, postgresql.dialect()) == value
    loaded = UtcDateTime().process_result_value(value, postgresql.dialect())
    assert loaded is not None and loaded.tzinfo is UTC and loaded.hour == 12


def test_a_naive_time_from_a_caller_is_refused() -> None:
    with pytest.raises(ValueError, match="Naive datetime"):
        UtcDateTime().process_bind_param(datetime(2026, 1, 1), sqlite.dialect())
