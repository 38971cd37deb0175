"""A record the database would refuse costs nothing to the records coalesced beside it.

At the edge it is a 422 (or a closed socket) naming it; a record that still reaches a
writer is split off until it is a dead letter alone, and every other record is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from actors.ingest import persist_events, persist_logs
from actors.persistence import record_task_run_events
from models.db.database import Database
from models.events.tables import EventRow
from models.messages.dead_letters import DeadLetter
from models.runs.logs import Log
from models.runs.task_runs import TaskRun
from tests.integration.events import task_run_event
from tests.integration.test_events_websocket import open_socket
from tests.integration.test_log_ingest import record
from tests.integration.test_logs_api import log_record
from tests.running import Drain

#: Times that pass as aware times but that no database reads back in every offset.
UNSTORABLE_TIMES = ["0001-01-01T00:00:00-23:59", "9999-12-31T23:00:00-14:00"]


async def eventually(drain: Drain, holds: Callable[[], Awaitable[bool]], what: str) -> None:
    """Drain the queues until `holds()`; the split halves are messages of their own."""
    deadline = asyncio.get_running_loop().time() + 15
    while not await holds():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await drain()


async def dead_letters(database: Database) -> list[DeadLetter]:
    async with database.read_sessions() as session:
        return list(await session.scalars(select(DeadLetter)))


async def count(database: Database, table: Any) -> int:
    async with database.read_sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("timestamp", UNSTORABLE_TIMES)
async def test_a_log_time_no_database_keeps_is_a_422_naming_it_beside_stored_batches(
    api: TestClient, drain: Drain, database: Database, timestamp: str
) -> None:
    flow_run_id = str(uuid4())
    good = [log_record(f"line {n}", flow_run_id) for n in range(20)]
    sends = [api.post("/api/logs/", json=good[n : n + 4]) for n in range(0, 20, 4)]
    bad = [log_record("ok", flow_run_id), log_record("bad", flow_run_id) | {"timestamp": timestamp}]
    answers = await asyncio.gather(*sends, api.post("/api/logs/", json=bad))
    assert [answer.status for answer in answers] == [201] * 5 + [422]
    [error] = (await answers[-1].json())["detail"]
    assert error["loc"] == ["body", 1, "timestamp"]

    await drain()
    assert await count(database, Log) == 20
    assert await dead_letters(database) == []


@pytest.mark.parametrize("occurred", UNSTORABLE_TIMES)
async def test_an_event_time_no_database_keeps_closes_the_socket_naming_it(
    api: TestClient, occurred: str
) -> None:
    event = task_run_event(str(uuid4()), str(uuid4()), "PENDING", "Pending", seconds=0)
    socket = await open_socket(api, "/api/events/in")
    await socket.send_json(event | {"occurred": occurred})
    closing = await socket.receive(timeout=5)
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert "Not an event" in (closing.extra or "")


async def test_a_log_record_a_writer_refuses_is_a_dead_letter_alone_and_the_rest_is_stored(
    database: Database, drain: Drain, dialect: str
) -> None:
    good = [record(f"2026-11-25T18:00:{n:02}.000000+00:00") for n in range(20)]
    refused = [record(UNSTORABLE_TIMES[1])]
    if dialect == "postgresql":  # PostgreSQL text holds no NUL; SQLite's does
        refused.append(record("2026-11-25T18:00:00Z", message="a\x00b"))
    persist_logs.send(good[:7] + refused[:1] + good[7:] + refused[1:])

    async def settled() -> bool:
        return len(await dead_letters(database)) == len(refused)

    await eventually(drain, settled, "the refused records' dead letters")
    assert await count(database, Log) == 20
    letters = await dead_letters(database)
    assert sorted(letter.message["args"][0][0]["id"] for letter in letters) == sorted(
        log["id"] for log in refused
    )
    assert all(letter.reason.startswith("RecordRefused") for letter in letters)


async def test_an_event_a_writer_refuses_is_a_dead_letter_alone_and_the_rest_is_stored(
    database: Database, drain: Drain
) -> None:
    events = [
        task_run_event(str(uuid4()), str(uuid4()), "PENDING", "Pending", seconds=n)
        | {"event": "signalbox.test"}
        for n in range(12)
    ]
    refused = events[5] | {"occurred": UNSTORABLE_TIMES[1]}
    persist_events.send([*events[:5], refused, *events[6:]])

    async def settled() -> bool:
        return len(await dead_letters(database)) == 1

    await eventually(drain, settled, "the refused event's dead letter")
    assert await count(database, EventRow) == 11
    [letter] = await dead_letters(database)
    assert letter.message["args"][0] == [refused]


async def test_a_task_run_event_a_writer_refuses_is_a_dead_letter_alone(
    database: Database, drain: Drain, dialect: str
) -> None:
    if dialect != "postgresql":
        pytest.skip("SQLite stores a NUL in a task run's name; only PostgreSQL refuses it")
    events = [
        task_run_event(str(uuid4()), str(uuid4()), "PENDING", "Pending", seconds=n)
        for n in range(10)
    ]
    events[3]["resource"]["prefect.resource.name"] = "a\x00b"
    record_task_run_events.send(events)

    async def settled() -> bool:
        return len(await dead_letters(database)) == 1

    await eventually(drain, settled, "the refused event's dead letter")
    assert await count(database, TaskRun) == 9
    [letter] = await dead_letters(database)
    assert letter.message["args"][0][0]["id"] == events[3]["id"]
