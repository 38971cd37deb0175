"""Prefect workers: heartbeats make them ONLINE and their pool READY; listed and deleted."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.integration.work_pool_runs import create_pool


async def heartbeat(api: TestClient, pool: str, name: str, **fields: object) -> None:
    response = await api.post(
        f"/api/work_pools/{pool}/workers/heartbeat", json={"name": name, **fields}
    )
    assert response.status == 204, await response.text()


async def test_a_heartbeat_makes_the_worker_online_and_its_pool_ready(api: TestClient) -> None:
    pool = await create_pool(api, "p1")
    assert pool["status"] == "NOT_READY"
    await heartbeat(api, "p1", "w1", heartbeat_interval_seconds=10)
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "READY"
    workers = await (await api.post("/api/work_pools/p1/workers/filter", json={})).json()
    assert len(workers) == 1
    worker = workers[0]
    assert (worker["name"], worker["status"], worker["heartbeat_interval_seconds"]) == (
        "w1",
        "ONLINE",
        10,
    )
    assert worker["work_pool_id"] == pool["id"] and worker["last_heartbeat_time"] is not None

    # A second heartbeat moves the time on and keeps the interval it does not repeat.
    await heartbeat(api, "p1", "w1")
    again = (await (await api.post("/api/work_pools/p1/workers/filter", json={})).json())[0]
    assert again["id"] == worker["id"] and again["heartbeat_interval_seconds"] == 10
    assert again["last_heartbeat_time"] > worker["last_heartbeat_time"]


async def test_workers_are_listed_by_latest_heartbeat_and_filtered_by_status(
    api: TestClient,
) -> None:
    await create_pool(api, "p1")
    await create_pool(api, "p2")
    for name in ("w1", "w2", "w3"):
        await heartbeat(api, "p1", name)
    await heartbeat(api, "p2", "elsewhere")

    async def names(body: dict[str, object]) -> list[str]:
        response = await api.post("/api/work_pools/p1/workers/filter", json=body)
        assert response.status == 200, await response.text()
        return [worker["name"] for worker in await response.json()]

    assert await names({}) == ["w3", "w2", "w1"]
    # As the worker asks before it starts.
    assert await names({"workers": {"status": {"any_": ["ONLINE"]}}, "offset": None}) == [
        "w3",
        "w2",
        "w1",
    ]
    assert await names({"workers": {"status": {"any_": ["OFFLINE"]}}}) == []
    assert await names({"limit": 1, "offset": 1}) == ["w2"]
    bad = await api.post(
        "/api/work_pools/p1/workers/filter", json={"workers": {"status": {"any_": ["BUSY"]}}}
    )
    assert bad.status == 422


async def test_a_worker_is_deleted_and_an_unknown_one_is_a_404(api: TestClient) -> None:
    await create_pool(api, "p1")
    await heartbeat(api, "p1", "w1")
    assert (await api.delete("/api/work_pools/p1/workers/w1")).status == 204
    assert await (await api.post("/api/work_pools/p1/workers/filter", json={})).json() == []
    missing = await api.delete("/api/work_pools/p1/workers/w1")
    assert missing.status == 404
    assert await missing.json() == {"detail": "Worker not found."}


async def test_a_bad_heartbeat_is_refused_and_writes_nothing(api: TestClient) -> None:
    await create_pool(api, "p1")
    for body in ({}, {"name": ""}, {"name": "w1", "heartbeat_interval_seconds": "often"}):
        response = await api.post("/api/work_pools/p1/workers/heartbeat", json=body)
        assert response.status == 422, body
        assert "detail" in await response.json()
    assert await (await api.post("/api/work_pools/p1/workers/filter", json={})).json() == []
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "NOT_READY"
