"""How a limit's counters decay, and how long a refused client is told to wait."""

from __future__ import annotations

from dataclasses import replace

import pytest

from models.concurrency.decay import (
    MAX_SLOT_WAIT_SECONDS,
    RETRY_JITTER,
    Occupancy,
    retry_after_seconds,
)

T0 = 1_800_000_000.0


def rate_limit(
    limit: int = 2, active: int = 2, denied: int = 0, per_second: float = 1.0
) -> Occupancy:
    return Occupancy(
        limit=limit,
        active_slots=active,
        denied_slots=denied,
        slot_decay_per_second=per_second,
        avg_slot_occupancy_seconds=2.0,
        slots_decayed_at=T0,
    )


def concurrency_limit(
    limit: int = 3, active: int = 3, denied: int = 0, occupancy: float = 2.0
) -> Occupancy:
    return replace(
        rate_limit(limit, active, denied, per_second=0.0), avg_slot_occupancy_seconds=occupancy
    )


def test_a_rate_limit_drains_one_slot_per_step_and_keeps_the_fraction_of_the_next() -> None:
    later = rate_limit(active=3).decayed(T0 + 1.5)
    assert (later.active_slots, later.slots_decayed_at) == (2, T0 + 1.0)
    assert later.decayed(T0 + 2.0).active_slots == 1  # the half step was not lost


def test_a_rate_limit_emptied_restarts_its_clock_at_now() -> None:
    emptied = rate_limit(active=2).decayed(T0 + 7.3)
    assert (emptied.active_slots, emptied.slots_decayed_at) == (0, T0 + 7.3)


def test_a_clock_ahead_of_now_decays_nothing() -> None:
    assert rate_limit(active=2).decayed(T0 - 5).active_slots == 2


def test_a_concurrency_limit_keeps_its_slots_and_forgets_refusals_one_per_occupancy() -> None:
    later = concurrency_limit(active=3, denied=4, occupancy=2.0).decayed(T0 + 5.0)
    assert (later.active_slots, later.denied_slots) == (3, 2)
    assert later.slots_decayed_at == T0 + 4.0


def test_a_concurrency_limit_paces_refusals_by_occupancy_within_bounds() -> None:
    tiny = concurrency_limit(denied=10, occupancy=0.0)  # at least 0.1 s per step
    assert tiny.decayed(T0 + 0.5).denied_slots == 5
    huge = concurrency_limit(denied=10, occupancy=10_000.0)  # at most 30 s per step
    assert huge.decayed(T0 + 60).denied_slots == 8


def test_a_refused_rate_limit_client_waits_until_the_next_slot_drains() -> None:
    occupancy = rate_limit(limit=2, active=2, denied=1, per_second=2.0)  # refused: denied 1
    now = T0 + 0.2
    assert retry_after_seconds([occupancy], 1, now) == pytest.approx(0.3)


def test_clients_refused_earlier_push_a_rate_limit_wait_back_by_up_to_their_steps() -> None:
    occupancy = rate_limit(limit=1, active=1, denied=5, per_second=1.0)  # 4 refused before
    waits = [occupancy.seconds_until_free(1, T0) for _ in range(200)]
    assert all(1.0 <= wait <= 5.0 for wait in waits)
    assert max(waits) - min(waits) > 1.0  # spread out, not all at once


def test_a_refused_concurrency_limit_client_waits_about_an_occupancy_per_queued_slot() -> None:
    occupancy = concurrency_limit(limit=2, active=2, denied=4, occupancy=3.0)  # 3 ahead
    waits = [occupancy.seconds_until_free(1, T0) for _ in range(200)]
    expected = 3.0 * 4 / 2
    assert all(
        expected * (1 - RETRY_JITTER) <= wait <= expected * (1 + RETRY_JITTER) for wait in waits
    )


def test_a_concurrency_limit_wait_is_capped() -> None:
    occupancy = concurrency_limit(limit=1, denied=1_000, occupancy=3_600.0)
    assert occupancy.seconds_until_free(1, T0) <= MAX_SLOT_WAIT_SECONDS * (1 + RETRY_JITTER)


def test_the_longest_wait_among_the_refusing_limits_is_the_one_given() -> None:
    short = rate_limit(limit=1, active=1, denied=1, per_second=10.0)
    long = rate_limit(limit=1, active=1, denied=1, per_second=0.5)
    assert retry_after_seconds([short, long], 1, T0) == pytest.approx(2.0)
    assert retry_after_seconds([], 1, T0) == 0.0
