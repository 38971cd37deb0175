"""Global concurrency limits: the limits, slots taken and refused, rate limits, bad input."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from sqlalchemy import update

from models.concurrency.tables import ConcurrencyLimit
from models.db.database import Database


async def create_limit(api: TestClient, name: str, limit: int, **fields: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/v2/concurrency_limits/", json={"name": name, "limit": limit, **fields}
    )
    assert response.status == 201, await response.text()
    return await response.json()


async def read_limit(api: TestClient, id_or_name: str) -> dict[str, Any]:
    response = await api.get(f"/api/v2/concurrency_limits/{id_or_name}")
    assert response.status == 200, await response.text()
    return await response.json()


async def increment(
    api: TestClient, names: list[str], slots: int = 1, **fields: Any
) -> ClientResponse:
    return await api.post(
        "/api/v2/concurrency_limits/increment", json={"names": names, "slots": slots, **fields}
    )


async def move_clock_back(database: Database, name: str, seconds: float) -> None:
    """As if `seconds` had passed since the limit's counters last decayed."""
    async with database.sessions.begin() as session:
        await session.execute(
            update(ConcurrencyLimit)
            .where(ConcurrencyLimit.name == name)
            .values(slots_decayed_at=ConcurrencyLimit.slots_decayed_at - seconds)
        )


async def test_a_limit_is_created_read_changed_listed_counted_and_deleted(api: TestClient) -> None:
    created = await create_limit(api, "db-writes", 5)
    assert created["active"] is True and created["active_slots"] == 0
    assert created["denied_slots"] == 0 and created["avg_slot_occupancy_seconds"] == 2.0
    assert await read_limit(api, "db-writes") == await read_limit(api, created["id"])

    changed = await api.patch(
        "/api/v2/concurrency_limits/db-writes", json={"limit": 7, "active": None}
    )
    assert changed.status == 204
    renamed = await api.patch(f"/api/v2/concurrency_limits/{created['id']}", json={"name": "db"})
    assert renamed.status == 204
    read = await read_limit(api, "db")
    assert (read["limit"], read["active"], read["id"]) == (7, True, created["id"])

    await create_limit(api, "api-calls", 2)
    listed = await (await api.post("/api/v2/concurrency_limits/filter", json={})).json()
    assert [limit["name"] for limit in listed] == ["api-calls", "db"]
    paged = await api.post("/api/v2/concurrency_limits/filter", json={"limit": 1, "offset": 1})
    assert [limit["name"] for limit in await paged.json()] == ["db"]
    assert await (await api.post("/api/v2/concurrency_limits/count")).json() == 2

    assert (await api.delete("/api/v2/concurrency_limits/db")).status == 204
    gone = await api.get(f"/api/v2/concurrency_limits/{created['id']}")
    assert gone.status == 404 and await gone.json() == {"detail": "Concurrency Limit not found"}
    assert (await api.delete("/api/v2/concurrency_limits/db")).status == 404
    assert (await api.patch("/api/v2/concurrency_limits/db", json={"limit": 1})).status == 404


async def test_a_taken_name_is_a_409_on_create_and_on_rename(api: TestClient) -> None:
    await create_limit(api, "one", 1)
    await create_limit(api, "two", 1)
    again = await api.post("/api/v2/concurrency_limits/", json={"name": "one", "limit": 3})
    assert again.status == 409 and "one" in (await again.json())["detail"]
    rename = await api.patch("/api/v2/concurrency_limits/two", json={"name": "one"})
    assert rename.status == 409


async def test_bad_limits_and_bad_requests_are_refused_with_a_detail(api: TestClient) -> None:
    for body in (
        {"name": "zero", "limit": 0},
        {"name": "negative", "limit": -1},
        {"name": "a/b", "limit": 1},
        {"name": "", "limit": 1},
        {"name": "decay", "limit": 1, "slot_decay_per_second": -1},
    ):
        response = await api.post("/api/v2/concurrency_limits/", json=body)
        assert response.status == 422, body
        assert (await response.json())["detail"][0]["loc"][0] == "body", body
    await create_limit(api, "small", 2)
    for slots in (0, -3):
        assert (await increment(api, ["small"], slots)).status == 422
    assert (await increment(api, [], 1)).status == 422
    too_many = await increment(api, ["small"], 3)
    assert too_many.status == 422
    assert await too_many.json() == {"detail": "Slots requested is greater than the limit"}
    long_lease = await api.post(
        "/api/v2/concurrency_limits/increment-with-lease",
        json={"names": ["small"], "slots": 1, "lease_duration": 10 * 24 * 3600},
    )
    assert long_lease.status == 422
    assert (await api.patch("/api/v2/concurrency_limits/small", json={"limit": 0})).status == 422


async def test_slots_beyond_the_limit_are_a_423_with_a_float_retry_after(api: TestClient) -> None:
    await create_limit(api, "pair", 2)
    for _ in range(2):
        taken = await increment(api, ["pair"])
        assert taken.status == 200
        assert [limit["name"] for limit in await taken.json()] == ["pair"]
    refused = await increment(api, ["pair"])
    assert refused.status == 423
    assert await refused.json() == {"detail": "Locked"}
    # The client does float(headers["Retry-After"]); an occupancy of 2 s gives about 2 s.
    assert 0 < float(refused.headers["Retry-After"]) <= 30
    limit = await read_limit(api, "pair")
    assert (limit["active_slots"], limit["denied_slots"]) == (2, 1)

    released = await api.post(
        "/api/v2/concurrency_limits/decrement",
        json={"names": ["pair"], "slots": 1, "occupancy_seconds": 10.0},
    )
    assert released.status == 200
    limit = await read_limit(api, "pair")
    assert limit["active_slots"] == 1
    # A 10 s hold moves the average (2 s) a quarter of the way: 4 samples for a limit of 2.
    assert limit["avg_slot_occupancy_seconds"] == 4.0
    assert (await increment(api, ["pair"])).status == 200


async def test_slots_are_taken_on_every_limit_named_or_on_none(api: TestClient) -> None:
    await create_limit(api, "roomy", 5)
    await create_limit(api, "full", 1)
    assert (await increment(api, ["full"])).status == 200
    assert (await increment(api, ["roomy", "full"])).status == 423
    assert (await read_limit(api, "roomy"))["active_slots"] == 0
    assert (await read_limit(api, "full"))["active_slots"] == 1


async def test_unknown_names_and_inactive_limits_never_block(api: TestClient) -> None:
    await create_limit(api, "paused", 1, active=False)
    for _ in range(3):
        response = await increment(api, ["paused", "nobody"])
        assert response.status == 200
        assert [limit["name"] for limit in await response.json()] == ["paused"]
    assert (await read_limit(api, "paused"))["active_slots"] == 0
    unknown = await api.post(
        "/api/v2/concurrency_limits/increment-with-lease",
        json={"names": ["tag:nolimit"], "slots": 1, "mode": "concurrency", "lease_duration": 60},
    )
    assert unknown.status == 200
    body = await unknown.json()
    assert body["limits"] == [] and body["lease_id"]


async def test_create_if_missing_makes_inactive_limits_that_do_not_block(
    api: TestClient,
) -> None:
    for _ in range(2):
        assert (await increment(api, ["made-up"], create_if_missing=True)).status == 200
    made = await read_limit(api, "made-up")
    assert (made["active"], made["limit"], made["active_slots"]) == (False, 1, 0)


async def test_a_rate_limit_drains_at_its_decay_rate(api: TestClient, database: Database) -> None:
    # A slot drains every 5 s: moving the clock is what drains them, and the real
    # seconds a loaded machine takes between requests stay well inside one step.
    await create_limit(api, "paced", 2, slot_decay_per_second=0.2)
    for _ in range(2):
        assert (await increment(api, ["paced"], mode="rate_limit")).status == 200
    refused = await increment(api, ["paced"], mode="rate_limit")
    assert refused.status == 423
    # The next slot drains five seconds after the first two were taken, not later.
    assert 0 < float(refused.headers["Retry-After"]) <= 5.0

    await move_clock_back(database, "paced", 5.0)  # one slot has drained
    assert (await read_limit(api, "paced"))["active_slots"] == 1
    assert (await increment(api, ["paced"], mode="rate_limit")).status == 200
    assert (await increment(api, ["paced"], mode="rate_limit")).status == 423

    await move_clock_back(database, "paced", 100.0)  # everything has drained
    limit = await read_limit(api, "paced")
    assert (limit["active_slots"], limit["denied_slots"]) == (0, 0)


async def test_a_rate_limit_keeps_the_part_of_a_step_already_drained(
    api: TestClient, database: Database
) -> None:
    await create_limit(api, "paced", 3, slot_decay_per_second=0.1)
    for _ in range(3):
        assert (await increment(api, ["paced"], mode="rate_limit")).status == 200
    # 6 s, then 6 s more: a refusal in between must not lose the first 6 s.
    await move_clock_back(database, "paced", 6.0)
    assert (await increment(api, ["paced"], mode="rate_limit")).status == 423
    await move_clock_back(database, "paced", 6.0)
    assert (await increment(api, ["paced"], mode="rate_limit")).status == 200


async def test_a_rate_limit_needs_a_decay(api: TestClient) -> None:
    await create_limit(api, "steady", 1)
    response = await increment(api, ["steady"], mode="rate_limit")
    assert response.status == 422
    assert "steady" in (await response.json())["detail"]
