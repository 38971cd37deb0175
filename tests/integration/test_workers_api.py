"""Prefect workers: heartbeats make them ONLINE and their pool READY; listed and deleted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from models.coordination.worker_catalog import worker_catalog
from tests.integration.work_pool_runs import create_pool

PROCESS_TEMPLATE: dict[str, Any] = worker_catalog()["prefect"]["process"][
    "default_base_job_configuration"
]
CONSUMER = str(uuid4())


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


def hello(worker_name: str = "w1", **payload: Any) -> dict[str, Any]:
    return {
        "type": "worker.hello.v1",
        "id": str(uuid4()),
        "sent_at": datetime.now(UTC).isoformat(),
        "payload": {
            "consumer_id": CONSUMER,
            "worker_name": worker_name,
            "worker_type": "process",
            "heartbeat_interval_seconds": 30,
            "supported_channel_versions": ["work_pool_worker_channel.v1"],
            "requested_capabilities": ["worker_heartbeat.v1", "work_pool_snapshot.v1"],
            "work_queue_names": [],
            "handled_cleanup_kinds": [],
            "max_cleanup_concurrency": 0,
            "create_pool_if_not_found": True,
            "default_base_job_template": PROCESS_TEMPLATE,
            **payload,
        },
    }


def channel_heartbeat(worker_name: str = "w1", interval: int = 30) -> dict[str, Any]:
    return {
        "type": "worker.heartbeat.v1",
        "id": str(uuid4()),
        "sent_at": datetime.now(UTC).isoformat(),
        "payload": {
            "consumer_id": CONSUMER,
            "worker_name": worker_name,
            "heartbeat_interval_seconds": interval,
        },
    }


async def open_channel(api: TestClient, pool: str, **payload: Any) -> Any:
    socket = await api.ws_connect(f"/api/work_pools/{pool}/workers/connect", protocols=("prefect",))
    assert socket.protocol == "prefect"
    await socket.send_json({"type": "auth", "token": None})
    assert await socket.receive_json(timeout=10) == {"type": "auth_success"}
    await socket.send_json(hello(**payload))
    return socket


async def test_the_channel_creates_the_pool_answers_ready_and_records_heartbeats(
    api: TestClient,
) -> None:
    socket = await open_channel(api, "p1")
    ready = await socket.receive_json(timeout=10)
    assert ready["type"] == "worker.ready.v1"
    payload = ready["payload"]
    assert payload["consumer_id"] == CONSUMER
    assert payload["selected_channel_version"] == "work_pool_worker_channel.v1"
    assert payload["accepted_capabilities"] == ["worker_heartbeat.v1", "work_pool_snapshot.v1"]
    assert payload["effective_heartbeat_interval_seconds"] == 30
    pool = await (await api.get("/api/work_pools/p1")).json()
    assert payload["resolved_work_queues"] == [{"id": pool["default_queue_id"], "name": "default"}]
    snapshot = payload["initial_snapshot"]
    assert (snapshot["snapshot_sequence"], snapshot["reason"]) == (1, "initial")
    assert snapshot["work_pool"]["id"] == pool["id"]
    assert (pool["type"], pool["status"], pool["base_job_template"]) == (
        "process",
        "READY",
        PROCESS_TEMPLATE,
    )
    workers = await (await api.post("/api/work_pools/p1/workers/filter", json={})).json()
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]
    first_beat = workers[0]["last_heartbeat_time"]

    # A change to the pool reaches the worker with its next heartbeat.
    await api.patch("/api/work_pools/p1", json={"concurrency_limit": 4})
    await socket.send_json(channel_heartbeat())
    update = await socket.receive_json(timeout=10)
    assert update["type"] == "work_pool.snapshot.v1"
    assert update["payload"]["snapshot_sequence"] == 2
    assert update["payload"]["work_pool"]["concurrency_limit"] == 4
    workers = await (await api.post("/api/work_pools/p1/workers/filter", json={})).json()
    assert workers[0]["last_heartbeat_time"] > first_beat
    await socket.close()


async def test_the_channel_refuses_what_it_cannot_serve(api: TestClient) -> None:
    await create_pool(api, "p1")
    for pool, payload, reason, code in (
        ("nope", {"create_pool_if_not_found": False}, "authorization_failed", 1008),
        ("prefect-pool", {}, "authorization_failed", 1008),
        ("p1", {"work_queue_names": ["missing"]}, "authorization_failed", 1008),
        ("p1", {"supported_channel_versions": ["v99"]}, "unsupported_version", 1008),
        ("p1", {"requested_capabilities": ["worker_heartbeat.v1"]}, "protocol_error", 1002),
    ):
        socket = await open_channel(api, pool, **payload)
        closing = await socket.receive(timeout=10)
        assert (closing.type, closing.data, closing.extra) == (WSMsgType.CLOSE, code, reason), pool
    assert (await api.get("/api/work_pools/nope")).status == 404
    assert (await api.get("/api/work_pools/prefect-pool")).status == 404

    # A heartbeat from another worker than the one that said hello ends the channel.
    socket = await open_channel(api, "p1")
    assert (await socket.receive_json(timeout=10))["type"] == "worker.ready.v1"
    await socket.send_json(channel_heartbeat("someone-else"))
    closing = await socket.receive(timeout=10)
    assert (closing.data, closing.extra) == (1002, "protocol_error")
