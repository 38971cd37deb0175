"""Background task runs reach the task workers subscribed to their key, at least once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from api import keys
from models.runs.background_tasks import DISPATCHED
from models.settings import Settings
from tests.integration.test_events_websocket import open_socket
from tests.integration.test_flow_runs_api import make_flow_run

SUBSCRIPTION = "/api/task_runs/subscriptions/scheduled"
#: Seconds a worker has to move an acknowledged run on, kept short so expiry is quick.
PICKUP_SECONDS = 1.0


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    from tests.conftest import TEST_REDIS_URL

    return Settings(
        home=tmp_path,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        background_task_pickup_seconds=PICKUP_SECONDS,
    )


def new_task_key() -> str:
    """A task key no other test queues to (they share one Redis)."""
    return f"add-{uuid4().hex[:12]}"


async def subscribe(
    api: TestClient, *task_keys: str, client_id: str | None = None
) -> aiohttp.ClientWebSocketResponse:
    socket = await open_socket(api, SUBSCRIPTION)
    frame = {"type": "subscribe", "keys": list(task_keys), "client_id": client_id or "w"}
    await socket.send_json(frame)
    return socket


async def delay(api: TestClient, task_key: str) -> str:
    """Create a task run as `task.delay()` does: SCHEDULED, deferred, with its own id."""
    task_run_id = str(uuid4())
    body = {
        "id": task_run_id,
        "task_key": task_key,
        "dynamic_key": task_run_id,
        "state": {"type": "SCHEDULED", "state_details": {"deferred": True}},
    }
    response = await api.post("/api/task_runs/", json=body)
    assert response.status == 201, await response.text()
    return task_run_id


async def propose(api: TestClient, task_run_id: str, state_type: str, name: str | None = None):
    body = {"state": {"type": state_type, "name": name, "state_details": {"deferred": True}}}
    response = await api.post(f"/api/task_runs/{task_run_id}/set_state", json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def next_run(socket: aiohttp.ClientWebSocketResponse, timeout: float = 15) -> dict[str, Any]:
    task_run: dict[str, Any] = await socket.receive_json(timeout=timeout)
    return task_run


async def ack(socket: aiohttp.ClientWebSocketResponse) -> None:
    await socket.send_json({"type": "ack"})


async def not_dispatched(api: TestClient, task_run_id: str) -> bool:
    members = await api.app[keys.redis_client].zrange(DISPATCHED, 0, -1)
    return not any(member.decode().startswith(task_run_id) for member in members)


async def eventually(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll `condition` until it holds, failing after a deadline well past the pickup time."""
    deadline = asyncio.get_running_loop().time() + PICKUP_SECONDS + 15
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_scheduled_run_reaches_a_subscriber_of_its_key(api: TestClient) -> None:
    task_key = new_task_key()
    socket = await subscribe(api, task_key)
    task_run_id = await delay(api, task_key)

    task_run = await next_run(socket)
    assert (task_run["id"], task_run["task_key"]) == (task_run_id, task_key)
    assert task_run["state"]["type"] == "SCHEDULED"
    assert task_run["state"]["state_details"]["deferred"] is True
    await ack(socket)
    await socket.close()


async def test_a_run_queued_before_the_worker_subscribes_waits_for_it(api: TestClient) -> None:
    task_key = new_task_key()
    task_run_id = await delay(api, task_key)
    socket = await subscribe(api, task_key)
    assert (await next_run(socket))["id"] == task_run_id
    await socket.close()


async def test_a_subscriber_gets_no_run_of_another_key(api: TestClient) -> None:
    wanted, other = new_task_key(), new_task_key()
    socket = await subscribe(api, wanted)
    await delay(api, other)
    mine = await delay(api, wanted)
    # Queued second, received first: the other key's run was never sent here.
    assert (await next_run(socket))["id"] == mine
    await ack(socket)
    await socket.close()


async def test_a_run_sent_to_a_worker_that_leaves_without_ack_goes_to_another(
    api: TestClient,
) -> None:
    task_key = new_task_key()
    first = await subscribe(api, task_key, client_id="first")
    task_run_id = await delay(api, task_key)
    assert (await next_run(first))["id"] == task_run_id
    await first.close()

    second = await subscribe(api, task_key, client_id="second")
    assert (await next_run(second))["id"] == task_run_id
    await second.close()


async def test_an_acknowledged_run_still_scheduled_after_the_pickup_time_is_sent_again(
    api: TestClient,
) -> None:
    task_key = new_task_key()
    socket = await subscribe(api, task_key)
    task_run_id = await delay(api, task_key)
    assert (await next_run(socket))["id"] == task_run_id
    await ack(socket)  # ... and the worker never moves it to PENDING

    again = await next_run(socket, timeout=PICKUP_SECONDS + 15)
    assert again["id"] == task_run_id
    await socket.close()


async def test_a_run_the_worker_moved_on_is_not_sent_again(api: TestClient) -> None:
    task_key = new_task_key()
    socket = await subscribe(api, task_key)
    task_run_id = await delay(api, task_key)
    assert (await next_run(socket))["id"] == task_run_id
    await ack(socket)
    assert (await propose(api, task_run_id, "PENDING"))["status"] == "ACCEPT"

    # Expired, then forgotten rather than put back.
    await eventually(lambda: not_dispatched(api, task_run_id), "the dispatch settled")
    later = await delay(api, task_key)
    assert (await next_run(socket))["id"] == later
    await socket.close()


async def test_two_subscribers_share_the_runs_of_a_key(api: TestClient) -> None:
    task_key = new_task_key()
    one = await subscribe(api, task_key, client_id="one")
    two = await subscribe(api, task_key, client_id="two")
    queued = {await delay(api, task_key) for _ in range(4)}

    # Each holds one run until it acknowledges it, so neither can take them all.
    received = [(await next_run(one))["id"], (await next_run(two))["id"]]
    await ack(one)
    await ack(two)
    received += [(await next_run(one))["id"], (await next_run(two))["id"]]
    assert sorted(received) == sorted(queued)
    await one.close()
    await two.close()


async def test_an_awaiting_retry_state_queues_the_run_again_ahead_of_the_others(
    api: TestClient,
) -> None:
    task_key = new_task_key()
    retried = await delay(api, task_key)
    waiting = await delay(api, task_key)
    answer = await propose(api, retried, "SCHEDULED", name="AwaitingRetry")
    assert answer["status"] == "ACCEPT", answer

    socket = await subscribe(api, task_key)
    first = await next_run(socket)
    assert (first["id"], first["state"]["name"]) == (retried, "AwaitingRetry")
    await ack(socket)
    assert (await next_run(socket))["id"] == waiting
    await ack(socket)
    # The retried run's first entry is stale (its state moved on): dropped, not sent twice.
    later = await delay(api, task_key)
    assert (await next_run(socket))["id"] == later
    await socket.close()


async def test_a_run_that_is_not_background_is_not_queued(api: TestClient) -> None:
    task_key = new_task_key()
    socket = await subscribe(api, task_key)
    flow_run = await make_flow_run(api)
    body = {
        "flow_run_id": flow_run["id"],
        "task_key": task_key,
        "dynamic_key": "0",
        "state": {"type": "SCHEDULED"},
    }
    assert (await api.post("/api/task_runs/", json=body)).status == 201
    background = await delay(api, task_key)
    assert (await next_run(socket))["id"] == background
    await socket.close()


async def test_task_workers_are_listed_while_connected(api: TestClient) -> None:
    task_key, other = new_task_key(), new_task_key()
    client_id = f"worker-{uuid4().hex[:8]}"
    socket = await subscribe(api, task_key, client_id=client_id)

    async def listed(body: dict[str, Any]) -> list[str]:
        response = await api.post("/api/task_workers/filter", json=body)
        assert response.status == 200, await response.text()
        return [worker["identifier"] for worker in await response.json()]

    async def listed_by_key() -> bool:
        return client_id in await listed(by_key)

    async def forgotten() -> bool:
        return client_id not in await listed({})

    by_key = {"task_worker_filter": {"task_keys": [task_key]}}
    await eventually(listed_by_key, "the worker listed")
    response = await api.post("/api/task_workers/filter", json=by_key)
    (worker,) = [w for w in await response.json() if w["identifier"] == client_id]
    assert worker["task_keys"] == [task_key] and worker["timestamp"]
    assert client_id in await listed({})
    assert client_id not in await listed({"task_worker_filter": {"task_keys": [other]}})

    await socket.close()
    await eventually(forgotten, "the worker forgotten")


async def test_a_subscribe_frame_without_keys_closes_the_socket(api: TestClient) -> None:
    socket = await open_socket(api, SUBSCRIPTION)
    await socket.send_json({"type": "subscribe", "keys": [], "client_id": "w"})
    message = await socket.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert socket.close_code == 4001


async def test_a_bad_task_worker_filter_is_a_422(api: TestClient) -> None:
    response = await api.post("/api/task_workers/filter", json={"task_worker_filter": 3})
    assert response.status == 422
    assert "detail" in await response.json()


async def test_a_task_worker_deletes_a_run_it_cannot_run(api: TestClient) -> None:
    # What a task worker does with a run of a task it does not know.
    task_run_id = await delay(api, new_task_key())
    assert (await api.delete(f"/api/task_runs/{task_run_id}")).status == 204
    assert (await api.get(f"/api/task_runs/{task_run_id}")).status == 404
    states = await api.get(f"/api/task_run_states/?task_run_id={task_run_id}")
    assert await states.json() == []
    again = await api.delete(f"/api/task_runs/{task_run_id}")
    assert (again.status, await again.json()) == (404, {"detail": "Task run not found"})
