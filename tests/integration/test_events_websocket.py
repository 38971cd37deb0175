"""The events websockets: client events become task runs; subscribers hear of state changes."""

from __future__ import annotations

import asyncio
import json
from uuid import UUID, uuid4

import aiohttp
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from models.db.database import Database
from models.events.tables import EventRow
from tests.integration.events import task_run_event, task_run_lifecycle
from tests.integration.test_flow_runs_api import make_flow_run, propose
from tests.running import Drain


async def open_socket(api: TestClient, path: str) -> aiohttp.ClientWebSocketResponse:
    socket = await api.ws_connect(path, protocols=("prefect",))
    assert socket.protocol == "prefect"
    await socket.send_json({"type": "auth", "token": None})
    assert await socket.receive_json(timeout=5) == {"type": "auth_success"}
    return socket


async def send_confirmed(api: TestClient, events: list[dict]) -> None:
    """Send events on a fresh socket as the client does: the pong to a ping confirms them."""
    socket = await open_socket(api, "/api/events/in")
    for event in events:
        await socket.send_json(event)
    await socket.ping()
    await socket.close()


async def read_task_run(api: TestClient, task_run_id: str) -> tuple[dict, list[str]]:
    task_run = await (await api.get(f"/api/task_runs/{task_run_id}")).json()
    states = await (await api.get(f"/api/task_run_states/?task_run_id={task_run_id}")).json()
    return task_run, [state["name"] for state in states]


async def test_task_run_events_become_a_task_run_with_its_history(
    api: TestClient, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())  # the flow run is unknown: fine
    socket = await open_socket(api, "/api/events/in")
    for event in task_run_lifecycle(task_run_id, flow_run_id):
        await socket.send_json(event)
    await socket.ping()  # the pong confirms every event before it is on Redis
    await socket.close()
    await drain()

    task_run, history = await read_task_run(api, task_run_id)
    assert (task_run["state_type"], task_run["flow_run_id"]) == ("COMPLETED", flow_run_id)
    assert task_run["tags"] == ["etl"] and task_run["task_key"] == "add-40f1afe9"
    assert history == ["Pending", "Running", "Completed"]


async def test_every_event_received_is_in_the_event_table_once(
    api: TestClient, database: Database, drain: Drain
) -> None:
    # Task-run states are stored with their task runs, other events by themselves: the feed
    # gets both, each once however often it is sent.
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    states = task_run_lifecycle(task_run_id, flow_run_id)
    other = {
        "id": str(uuid4()),
        "occurred": states[0]["occurred"],
        "event": "acme.report.published",
        "resource": {"prefect.resource.id": "acme.report.7"},
    }
    for _ in range(2):
        await send_confirmed(api, [*states, other])
    await drain()
    async with database.read_sessions() as session:
        rows = list(
            await session.execute(
                select(EventRow.id, EventRow.event, EventRow.received).where(
                    EventRow.id.in_([UUID(event["id"]) for event in [*states, other]])
                )
            )
        )
    assert sorted(row.event for row in rows) == sorted(event["event"] for event in [*states, other])
    assert all(row.received is not None for row in rows)


async def test_a_resent_event_is_stored_once(api: TestClient, drain: Drain) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    events = task_run_lifecycle(task_run_id, flow_run_id)
    for _ in range(2):  # a reconnecting client resends what no pong confirmed
        await send_confirmed(api, events)
    await drain()
    _, history = await read_task_run(api, task_run_id)
    assert history == ["Pending", "Running", "Completed"]


async def test_a_late_state_joins_the_history_but_does_not_become_current(
    api: TestClient, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    pending, running, completed = task_run_lifecycle(task_run_id, flow_run_id)
    for batch in ([completed], [pending, running]):  # two sockets, Completed arriving first
        await send_confirmed(api, batch)
        await drain()
    task_run, history = await read_task_run(api, task_run_id)
    assert task_run["state_type"] == "COMPLETED"
    assert history == ["Pending", "Running", "Completed"]


async def test_a_frame_that_is_not_an_event_closes_the_socket_and_loses_nothing_before_it(
    api: TestClient, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    socket = await open_socket(api, "/api/events/in")
    await socket.send_json(
        task_run_event(task_run_id, flow_run_id, "PENDING", "Pending", seconds=0)
    )
    await socket.send_str(json.dumps({"not": "an event"}))
    closing = await socket.receive(timeout=5)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert socket.close_code == 1003 and "Not an event" in (closing.extra or "")
    await drain()
    _, history = await read_task_run(api, task_run_id)
    assert history == ["Pending"]


async def test_a_socket_without_auth_is_refused_with_a_reason(api: TestClient) -> None:
    socket = await api.ws_connect("/api/events/in", protocols=("prefect",))
    await socket.send_json({"type": "hello"})
    assert (await socket.receive_json(timeout=5))["type"] == "auth_failure"
    closing = await socket.receive(timeout=5)
    assert closing.type is aiohttp.WSMsgType.CLOSE and socket.close_code == 1008


async def test_a_subscriber_to_cancelling_hears_of_a_cancellation_within_a_second(
    api: TestClient, drain: Drain
) -> None:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    subscriber = await open_socket(api, "/api/events/out")
    await subscriber.send_json(
        {"type": "filter", "filter": {"event": {"name": ["prefect.flow-run.Cancelling"]}}}
    )
    cancel = asyncio.get_running_loop().time()
    await propose(api, run["id"], "CANCELLING")
    message = await subscriber.receive_json(timeout=1.0)  # within a second, or the test fails
    heard = asyncio.get_running_loop().time()
    assert message["type"] == "event"
    assert message["event"]["event"] == "prefect.flow-run.Cancelling"
    assert message["event"]["resource"]["prefect.resource.id"] == f"prefect.flow-run.{run['id']}"
    assert heard - cancel < 1.0
    await subscriber.close()


async def test_a_new_subscriber_is_sent_matching_events_from_the_past_first(
    api: TestClient, drain: Drain
) -> None:
    run = await make_flow_run(api)
    await propose(api, run["id"], "RUNNING")
    await drain()  # the Running event is stored
    subscriber = await open_socket(api, "/api/events/out")
    await subscriber.send_json(
        {
            "type": "filter",
            "filter": {
                "occurred": {"since": "2000-01-01T00:00:00Z"},
                "event": {"name": ["prefect.flow-run.Running"]},
            },
        }
    )
    message = await subscriber.receive_json(timeout=5)
    assert message["event"]["resource"]["prefect.resource.id"] == f"prefect.flow-run.{run['id']}"
    await subscriber.close()
