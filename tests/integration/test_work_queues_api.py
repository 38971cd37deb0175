"""Work queues: in their pool by name and across pools by id; priorities stay distinct."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient

from models.db.database import Database
from tests.integration.work_pool_runs import create_pool, create_queue, read_queue, scheduled_run


async def priorities(api: TestClient, pool: str) -> list[tuple[str, int]]:
    queues = await (await api.post(f"/api/work_pools/{pool}/queues/filter", json={})).json()
    return [(queue["name"], queue["priority"]) for queue in queues]


async def test_a_queue_takes_the_first_free_priority_or_moves_the_others(api: TestClient) -> None:
    await create_pool(api, "p1")
    created = await create_queue(api, "p1", "second", description="two", concurrency_limit=4)
    assert (created["priority"], created["work_pool_name"], created["active_slots"]) == (2, "p1", 0)
    assert created["description"] == "two" and created["status"] == "NOT_READY"
    await create_queue(api, "p1", "third")
    assert await priorities(api, "p1") == [("default", 1), ("second", 2), ("third", 3)]
    # Inserted at 2: the queues at 2 and after move down by one.
    await create_queue(api, "p1", "urgent", priority=2)
    assert await priorities(api, "p1") == [
        ("default", 1),
        ("urgent", 2),
        ("second", 3),
        ("third", 4),
    ]
    # Moved to 1 by PATCH: the others keep their order.
    patched = await api.patch("/api/work_pools/p1/queues/third", json={"priority": 1})
    assert patched.status == 204
    assert await priorities(api, "p1") == [
        ("third", 1),
        ("default", 2),
        ("urgent", 3),
        ("second", 4),
    ]
    # A gap is filled by the next queue created without a priority.
    await api.delete("/api/work_pools/p1/queues/urgent")
    assert await priorities(api, "p1") == [("third", 1), ("default", 2), ("second", 4)]
    assert (await create_queue(api, "p1", "filler"))["priority"] == 3


async def test_a_queue_is_read_changed_and_deleted_in_its_pool(api: TestClient) -> None:
    await create_pool(api, "p1")
    await create_queue(api, "p1", "q1")
    changes = {"description": "new", "concurrency_limit": 2, "name": "renamed"}
    assert (await api.patch("/api/work_pools/p1/queues/q1", json=changes)).status == 204
    queue = await read_queue(api, "p1", "renamed")
    assert (queue["description"], queue["concurrency_limit"]) == ("new", 2)
    assert (
        await api.patch("/api/work_pools/p1/queues/renamed", json={"is_paused": True})
    ).status == 204
    assert (await read_queue(api, "p1", "renamed"))["status"] == "PAUSED"
    await api.patch("/api/work_pools/p1/queues/renamed", json={"is_paused": False})
    assert (await read_queue(api, "p1", "renamed"))["status"] == "NOT_READY"
    assert (await api.delete("/api/work_pools/p1/queues/renamed")).status == 204
    for response in (
        await api.get("/api/work_pools/p1/queues/renamed"),
        await api.patch("/api/work_pools/p1/queues/renamed", json={"description": "x"}),
        await api.delete("/api/work_pools/p1/queues/renamed"),
    ):
        assert response.status == 404
        assert await response.json() == {"detail": "Work pool queue 'p1/renamed' not found."}
    unknown_pool = await api.post("/api/work_pools/nope/queues", json={"name": "q"})
    assert await unknown_pool.json() == {"detail": 'Work pool "nope" not found.'}


async def test_taken_names_bad_bodies_and_the_default_queue_are_refused(api: TestClient) -> None:
    await create_pool(api, "p1")
    await create_queue(api, "p1", "q1")
    taken = await api.post("/api/work_pools/p1/queues", json={"name": "q1"})
    assert taken.status == 409
    assert "already exists in work pool 'p1'" in (await taken.json())["detail"]
    rename = await api.patch("/api/work_pools/p1/queues/q1", json={"name": "default"})
    assert rename.status == 409
    for body in (
        {"name": "neg", "concurrency_limit": -1},
        {"name": "zero", "priority": 0},
        {"name": "a/b"},
        {"name": "x", "surprise": True},
    ):
        response = await api.post("/api/work_pools/p1/queues", json=body)
        assert response.status == 422, body
        assert "detail" in await response.json()
    negative = await api.patch("/api/work_pools/p1/queues/q1", json={"concurrency_limit": -5})
    assert negative.status == 422
    assert (await read_queue(api, "p1", "q1"))["concurrency_limit"] is None
    assert [name for name, _ in await priorities(api, "p1")] == ["default", "q1"]
    default = await api.delete("/api/work_pools/p1/queues/default")
    assert default.status == 403
    assert await default.json() == {"detail": "Can't delete a pool's default queue."}


async def test_the_pool_less_routes_find_queues_by_id_and_name(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1")
    await create_pool(api, "p2")
    queue = await create_queue(api, "p2", "shared-name", concurrency_limit=1)
    by_id = await (await api.get(f"/api/work_queues/{queue['id']}")).json()
    assert by_id == await read_queue(api, "p2", "shared-name")
    by_name = await (await api.get("/api/work_queues/name/shared-name")).json()
    assert by_name["id"] == queue["id"]

    listed = await (await api.post("/api/work_queues/filter", json={})).json()
    # By name, as the reference lists them (ties in no particular order).
    assert [q["name"] for q in listed] == ["default", "default", "shared-name"]
    assert sorted(q["work_pool_name"] for q in listed[:2]) == ["p1", "p2"]
    named = await api.post(
        "/api/work_queues/filter", json={"work_queues": {"name": {"any_": ["shared-name"]}}}
    )
    assert [q["id"] for q in await named.json()] == [queue["id"]]

    assert (
        await api.patch(f"/api/work_queues/{queue['id']}", json={"description": "d"})
    ).status == 204
    assert (await read_queue(api, "p2", "shared-name"))["description"] == "d"

    missing = uuid4()
    for response, detail in (
        (await api.get(f"/api/work_queues/{missing}"), "work queue not found"),
        (await api.get("/api/work_queues/name/nothing"), "work queue not found"),
        (await api.delete(f"/api/work_queues/{missing}"), "work queue not found"),
        (
            await api.patch(f"/api/work_queues/{missing}", json={}),
            f"Work Queue {missing} not found",
        ),
    ):
        assert response.status == 404
        assert await response.json() == {"detail": detail}
    assert (await api.delete(f"/api/work_queues/{queue['id']}")).status == 204


async def test_get_runs_of_a_queue_respects_its_limit_and_records_the_poll(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1")
    queue = await create_queue(api, "p1", "q1", concurrency_limit=2)
    await scheduled_run(api, database, queue, state="CANCELLING")  # holds a slot here
    first = await scheduled_run(api, database, queue, -20)
    await scheduled_run(api, database, queue, -10)

    async def get_runs(headers: dict[str, str] | None = None, **body: Any) -> list[str]:
        response = await api.post(
            f"/api/work_queues/{queue['id']}/get_runs", json=body, headers=headers or {}
        )
        assert response.status == 200, await response.text()
        return [run["id"] for run in await response.json()]

    assert await get_runs({"x-prefect-ui": "true"}) == [first]
    assert (await read_queue(api, "p1", "q1"))["last_polled"] is None  # the UI only looks
    assert await get_runs() == [first]
    polled = await read_queue(api, "p1", "q1")
    assert (polled["status"], polled["last_polled"] is not None) == ("READY", True)
    status = await (await api.get(f"/api/work_queues/{queue['id']}/status")).json()
    assert status["healthy"] is True and status["late_runs_count"] == 0
    assert status["health_check_policy"] == {
        "maximum_late_runs": 0,
        "maximum_seconds_since_last_polled": 60,
    }
    await api.patch(f"/api/work_queues/{queue['id']}", json={"is_paused": True})
    assert await get_runs() == []
    assert (
        await api.post(f"/api/work_queues/{queue['id']}/get_runs", json={"limit": 500})
    ).status == 422


async def test_a_queue_created_without_a_pool_goes_in_the_agents_pool(api: TestClient) -> None:
    response = await api.post("/api/work_queues/", json={"name": "legacy"})
    assert response.status == 201, await response.text()
    queue = await response.json()
    assert (queue["work_pool_name"], queue["priority"]) == ("default-agent-pool", 2)
    pool = await (await api.get("/api/work_pools/default-agent-pool")).json()
    assert (pool["type"], pool["status"]) == ("prefect-agent", None)
    assert (await (await api.get("/api/work_queues/name/legacy")).json())["id"] == queue["id"]
    again = await api.post("/api/work_queues/", json={"name": "legacy"})
    assert again.status == 409
    assert await again.json() == {"detail": "A work queue with this name already exists."}
