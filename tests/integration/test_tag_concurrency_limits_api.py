"""Tag limits (Prefect's v1 API) are the global limits named `tag:<tag>`."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient

from tests.integration.test_concurrency_leases import acquire
from tests.integration.test_concurrency_limits_api import create_limit, read_limit


async def create_tag_limit(api: TestClient, tag: str, limit: int) -> tuple[int, dict[str, Any]]:
    response = await api.post(
        "/api/concurrency_limits/", json={"tag": tag, "concurrency_limit": limit}
    )
    return response.status, await response.json()


async def test_a_tag_limit_is_the_global_limit_named_after_the_tag(api: TestClient) -> None:
    status, created = await create_tag_limit(api, "tagx", 1)
    assert status == 201
    assert (created["tag"], created["concurrency_limit"], created["active_slots"]) == (
        "tagx",
        1,
        [],
    )
    global_limit = await read_limit(api, "tag:tagx")
    assert (global_limit["id"], global_limit["limit"]) == (created["id"], 1)

    # The task engine only speaks v2, on `tag:<tag>`; the v1 reads list its holders.
    task_run = str(uuid4())
    status, lease = await acquire(
        api, "tag:tagx", lease_duration=60, holder={"type": "task_run", "id": task_run}
    )
    assert status == 200 and lease["limits"][0]["id"] == created["id"]
    assert (await acquire(api, "tag:tagx"))[0] == 423
    by_tag = await (await api.get("/api/concurrency_limits/tag/tagx")).json()
    by_id = await (await api.get(f"/api/concurrency_limits/{created['id']}")).json()
    assert by_tag == by_id and by_tag["active_slots"] == [task_run]


async def test_creating_a_tag_limit_again_changes_it(api: TestClient) -> None:
    _, first = await create_tag_limit(api, "etl", 1)
    status, again = await create_tag_limit(api, "etl", 4)
    assert status == 200 and again["id"] == first["id"] and again["concurrency_limit"] == 4


async def test_tag_limits_are_listed_without_the_other_global_limits(api: TestClient) -> None:
    for tag in ("b", "a"):
        await create_tag_limit(api, tag, 2)
    global_limit = await create_limit(api, "not-a-tag", 2)
    listed = await (await api.post("/api/concurrency_limits/filter", json={"limit": 15})).json()
    assert [limit["tag"] for limit in listed] == ["a", "b"]
    # A global limit is not a tag limit, even read by its id.
    assert (await api.get(f"/api/concurrency_limits/{global_limit['id']}")).status == 404
    assert (await api.delete(f"/api/concurrency_limits/{global_limit['id']}")).status == 404


async def test_v1_increment_and_decrement_hold_a_slot_per_tag_for_a_task_run(
    api: TestClient,
) -> None:
    await create_tag_limit(api, "io", 1)
    await create_tag_limit(api, "cpu", 2)
    task_run, other = str(uuid4()), str(uuid4())
    taken = await api.post(
        "/api/concurrency_limits/increment",
        json={"names": ["io", "cpu", "untracked"], "task_run_id": task_run},
    )
    assert taken.status == 200
    assert sorted(limit["name"] for limit in await taken.json()) == ["cpu", "io"]
    refused = await api.post(
        "/api/concurrency_limits/increment", json={"names": ["io"], "task_run_id": other}
    )
    assert refused.status == 423 and float(refused.headers["Retry-After"]) > 0

    released = await api.post(
        "/api/concurrency_limits/decrement",
        json={"names": ["io", "cpu"], "task_run_id": task_run, "occupancy_seconds": 1.5},
    )
    assert released.status == 200
    assert (await read_limit(api, "tag:io"))["active_slots"] == 0
    assert (await read_limit(api, "tag:cpu"))["active_slots"] == 0


async def test_a_reset_frees_every_slot_then_holds_the_overrides(api: TestClient) -> None:
    await create_tag_limit(api, "reset-me", 2)
    for _ in range(2):
        assert (await acquire(api, "tag:reset-me"))[0] == 200
    keep = str(uuid4())
    response = await api.post(
        "/api/concurrency_limits/tag/reset-me/reset", json={"slot_override": [keep]}
    )
    assert response.status == 204
    limit = await (await api.get("/api/concurrency_limits/tag/reset-me")).json()
    assert limit["active_slots"] == [keep]
    assert (await read_limit(api, "tag:reset-me"))["active_slots"] == 1

    assert (await api.post("/api/concurrency_limits/tag/reset-me/reset", json={})).status == 204
    assert (await read_limit(api, "tag:reset-me"))["active_slots"] == 0


async def test_a_tag_limit_is_deleted_by_tag_or_by_id(api: TestClient) -> None:
    _, by_tag = await create_tag_limit(api, "gone", 1)
    _, by_id = await create_tag_limit(api, "gone-too", 1)
    assert (await api.delete("/api/concurrency_limits/tag/gone")).status == 204
    assert (await api.delete(f"/api/concurrency_limits/{by_id['id']}")).status == 204
    for path in ("tag/gone", f"{by_tag['id']}", "tag/gone-too", f"{by_id['id']}"):
        response = await api.get(f"/api/concurrency_limits/{path}")
        assert response.status == 404
        assert await response.json() == {"detail": "Concurrency limit not found"}
    assert (await api.delete("/api/concurrency_limits/tag/gone")).status == 404


async def test_bad_tag_limits_are_refused_with_a_detail(api: TestClient) -> None:
    for body in (
        {"tag": "zero", "concurrency_limit": 0},
        {"tag": "negative", "concurrency_limit": -2},
        {"tag": "a/b", "concurrency_limit": 1},
        {"tag": "x" * 300, "concurrency_limit": 1},
        {"concurrency_limit": 1},
    ):
        response = await api.post("/api/concurrency_limits/", json=body)
        assert response.status == 422, body
        assert (await response.json())["detail"], body
