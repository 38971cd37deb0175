"""Persistence actors retry forever while the database is away, a few times otherwise."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from actors.retrying import MAX_OTHER_FAILURES, retry_persistence

UNAVAILABLE = OperationalError("INSERT ...", {}, Exception("database is locked"))
REFUSED = IntegrityError("INSERT ...", {}, Exception("NOT NULL constraint failed"))


def test_an_unavailable_database_is_retried_however_long_it_takes() -> None:
    assert all(retry_persistence(retries, UNAVAILABLE) for retries in (0, 10, 1_000, 100_000))
    assert retry_persistence(3, ConnectionRefusedError())


def test_any_other_failure_is_retried_a_few_times_then_given_up() -> None:
    assert retry_persistence(0, REFUSED)
    assert retry_persistence(MAX_OTHER_FAILURES - 1, REFUSED)
    assert not retry_persistence(MAX_OTHER_FAILURES, REFUSED)
    assert not retry_persistence(MAX_OTHER_FAILURES, KeyError("state_id"))
