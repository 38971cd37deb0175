"""Persistence actors retry forever while the database is away, a few times otherwise."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from actors.counters import release_task_run_slots
from actors.ingest import persist_events, persist_logs
from actors.notifications import mark_delivery_dead
from actors.persistence import announce_flow_run_states, record_task_run_events
from actors.retrying import MAX_OTHER_FAILURES, PERSISTENCE_OPTIONS, retry_persistence

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


def test_every_persistence_actor_retries_by_the_same_rule() -> None:
    for actor in (
        record_task_run_events, announce_flow_run_states, persist_logs, persist_events,
        release_task_run_slots, mark_delivery_dead,
    ):  # fmt: skip
        assert {key: actor.options[key] for key in PERSISTENCE_OPTIONS} == PERSISTENCE_OPTIONS
