"""Concurrency-limit bodies: what a limit, an acquisition and a lease may be."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.concurrency.leases import MAX_LEASE_SECONDS, MIN_LEASE_SECONDS
from models.schemas.concurrency_limits import (
    ConcurrencyLimitCreate,
    ConcurrencyLimitUpdate,
    LeasedSlotsRequest,
    TagLimitCreate,
)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "n", "limit": 0},
        {"name": "n", "limit": -1},
        {"name": "n", "limit": 2**31},
        {"name": "a/b", "limit": 1},
        {"name": "50%", "limit": 1},
        {"name": "n", "limit": 1, "slot_decay_per_second": -0.5},
        {"name": "n", "limit": 1, "slot_decay_per_second": "inf"},
    ],
)
def test_a_limit_that_could_not_work_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ConcurrencyLimitCreate.model_validate(body)


def test_a_tag_limit_name_is_checked_like_a_limit_name() -> None:
    assert TagLimitCreate(tag="tag x:1", concurrency_limit=1).tag == "tag x:1"
    with pytest.raises(ValidationError):
        TagLimitCreate(tag="a>b", concurrency_limit=1)


def test_an_update_ignores_nulls() -> None:
    assert ConcurrencyLimitUpdate.model_validate({"limit": 3, "name": None}).changes() == {
        "limit": 3
    }


def test_acquisitions_need_positive_slots_and_a_lease_of_sane_length() -> None:
    base = {"names": ["n"], "slots": 1}
    assert LeasedSlotsRequest.model_validate(base).lease_duration == 300
    for bad in (
        {"slots": 0},
        {"names": []},
        {"lease_duration": MIN_LEASE_SECONDS / 2},
        {"lease_duration": MAX_LEASE_SECONDS + 1},
        {"mode": "fastest"},
        {"holder": {"type": "robot", "id": "00000000-0000-0000-0000-000000000000"}},
    ):
        with pytest.raises(ValidationError):
            LeasedSlotsRequest.model_validate(base | bad)
