"""The actors' rules: unparsable messages become dead letters; crashes are detected."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from actors import resources
from actors.broker import broker
from actors.ingest import persist_events, persist_logs
from actors.persistence import record_task_run_events
from actors.services import (
    cancel_stuck_cancelling_flow_runs,
    detect_crashed_flow_runs,
    fail_expired_pauses_of_flow_runs,
)
from models.db.database import Database
from models.db.types import utcnow
from models.events.tables import EventRow
from models.messages.dead_letters import DeadLetter
from models.runs.logs import Log
from models.runs.task_runs import TaskRun, TaskRunState
from models.settings import Settings
from tests.integration.events import task_run_event, task_run_lifecycle
from tests.integration.test_flow_runs_api import make_flow_run, propose
from tests.running import Drain


async def dead_letters(database: Database) -> list[DeadLetter]:
    async with database.read_sessions() as session:
        return list(await session.scalars(select(DeadLetter)))


async def test_a_message_that_cannot_be_parsed_is_a_dead_letter_with_its_reason(
    database: Database, drain: Drain
) -> None:
    message = record_task_run_events.send([{"event": "prefect.task-run.Running"}])
    await drain()
    [letter] = await dead_letters(database)
    assert (letter.message_id, letter.queue_name) == (message.message_id, "state")
    assert letter.actor_name == "record_task_run_events"
    assert letter.reason.startswith("ValidationError") and "id" in letter.reason
    assert letter.message["args"] == [[{"event": "prefect.task-run.Running"}]]


async def test_an_unreadable_event_is_a_dead_letter_alone_and_its_batch_is_stored(
    database: Database, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    pending, running, completed = task_run_lifecycle(task_run_id, flow_run_id)
    unreadable = task_run_event(str(uuid4()), flow_run_id, "RUNNING", "Running", seconds=1)
    del unreadable["payload"]["task_run"]["task_key"]
    message = record_task_run_events.send([pending, unreadable, running, completed])
    await drain()

    async with database.read_sessions() as session:
        task_run = await session.get(TaskRun, UUID(task_run_id))
        history = list(
            await session.scalars(
                select(TaskRunState.name)
                .where(TaskRunState.task_run_id == UUID(task_run_id))
                .order_by(TaskRunState.timestamp)
            )
        )
        # Each is an event all the same: the feed has all four, the unreadable one too.
        stored_events = set(
            await session.scalars(
                select(EventRow.id).where(
                    EventRow.id.in_(
                        [UUID(e["id"]) for e in (pending, unreadable, running, completed)]
                    )
                )
            )
        )
    assert task_run is not None and task_run.state_id == UUID(completed["id"])
    assert history == ["Pending", "Running", "Completed"]
    assert len(stored_events) == 4
    [letter] = await dead_letters(database)
    assert letter.message_id != message.message_id and letter.queue_name == "state"
    assert letter.reason.startswith("ValidationError") and "task_key" in letter.reason
    assert letter.message["args"] == [[unreadable]]


async def test_a_good_message_leaves_no_dead_letter(database: Database, drain: Drain) -> None:
    persist_events.send([])
    await drain()
    assert await dead_letters(database) == []


def heartbeat(flow_run_id: str, minutes_ago: float) -> dict:
    return {
        "id": str(uuid4()),
        "occurred": (utcnow() - timedelta(minutes=minutes_ago)).isoformat(),
        "event": "prefect.flow-run.heartbeat",
        "resource": {"prefect.resource.id": f"prefect.flow-run.{flow_run_id}"},
        "related": [],
        "payload": {},
    }


async def test_a_running_flow_run_whose_heartbeats_stopped_is_marked_crashed(
    api: TestClient, drain: Drain
) -> None:
    silent, alive, never = [await make_flow_run(api) for _ in range(3)]
    for run in (silent, alive, never):
        await propose(api, run["id"], "RUNNING")
    persist_events.send([heartbeat(silent["id"], minutes_ago=60), heartbeat(alive["id"], 1)])
    await drain()

    detect_crashed_flow_runs.send()
    await drain()

    crashed = await (await api.get(f"/api/flow_runs/{silent['id']}")).json()
    assert crashed["state_type"] == "CRASHED"
    assert "no heartbeat for" in crashed["state"]["message"]
    for run in (alive, never):  # a recent heartbeat, or none ever: left alone
        assert (await (await api.get(f"/api/flow_runs/{run['id']}")).json())["state_type"] == (
            "RUNNING"
        )
    # The crash is announced like any state change.
    events = await (await api.get(f"/api/flow_run_states/?flow_run_id={silent['id']}")).json()
    assert [state["type"] for state in events] == ["PENDING", "RUNNING", "CRASHED"]


def test_the_broker_talks_to_the_suites_redis() -> None:
    from actors.broker import broker
    from tests.conftest import TEST_REDIS_URL

    pool = broker.client.connection_pool.connection_kwargs
    suites = urlsplit(TEST_REDIS_URL)
    assert (pool["host"], pool["port"], pool.get("password")) == (
        suites.hostname,
        suites.port,
        suites.password,
    )


@pytest.fixture
def short_busy_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers booted after this give up on a locked SQLite database after 0.2 s."""
    monkeypatch.setenv("SIGNALBOX_SQLITE_BUSY_TIMEOUT_SECONDS", "0.2")


async def test_a_log_batch_waits_out_an_unavailable_database_and_is_stored(
    short_busy_timeout: None, database: Database, settings: Settings, drain: Drain, dialect: str
) -> None:
    if dialect != "sqlite":
        pytest.skip("makes the database unavailable by holding SQLite's write lock")
    log_id = str(uuid4())
    blocker = sqlite3.connect(make_url(settings.database_url).database or "", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # nobody else may write: the database is unavailable
    try:
        persist_logs.send(
            [{"id": log_id, "name": "x", "level": 20, "message": "patient",
              "timestamp": "2026-11-25T18:00:00Z"}]
        )  # fmt: skip
        # A message waiting to be retried stays in the delay queue's hash until it is due;
        # its id leaves the list as soon as a worker takes it to hold, so the list is no sign.
        retries = f"{broker.namespace}:ingest.DQ.msgs"
        deadline = time.monotonic() + 30
        while broker.client.hlen(retries) == 0:  # the actor failed and is waiting to retry
            assert time.monotonic() < deadline, "the actor never retried"
            await asyncio.sleep(0.05)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await drain()
    async with database.read_sessions() as session:
        assert await session.get(Log, UUID(log_id)) is not None
    assert await dead_letters(database) == []


async def test_a_paused_flow_run_not_resumed_by_its_timeout_is_marked_failed(
    api: TestClient, drain: Drain
) -> None:
    expired, waiting = [await make_flow_run(api) for _ in range(2)]
    for run, timeout in ((expired, utcnow() - timedelta(seconds=5)), (waiting, None)):
        await propose(api, run["id"], "RUNNING")
        later = (timeout or utcnow() + timedelta(hours=1)).isoformat()
        await propose(api, run["id"], "PAUSED", pause_timeout=later, pause_key="1")

    fail_expired_pauses_of_flow_runs.send()
    await drain()

    failed = await (await api.get(f"/api/flow_runs/{expired['id']}")).json()
    assert failed["state_type"] == "FAILED"
    assert failed["state"]["message"] == "The flow was paused and never resumed."
    still = await (await api.get(f"/api/flow_runs/{waiting['id']}")).json()
    assert still["state_type"] == "PAUSED"


async def test_a_flow_run_left_cancelling_past_the_timeout_is_marked_cancelled(
    api: TestClient, drain: Drain, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck, recent = [await make_flow_run(api) for _ in range(2)]
    await propose(api, stuck["id"], "CANCELLING")  # PENDING: no worker will ever stop it
    # The in-process workers read their settings at boot: with a zero timeout, the first
    # run is stuck already, and the second, RUNNING, is not a candidate at all.
    quick = resources.settings().model_copy(update={"cancelling_timeout_seconds": 0.0})
    monkeypatch.setattr(resources, "_settings", quick)
    await propose(api, recent["id"], "RUNNING")

    cancel_stuck_cancelling_flow_runs.send()
    await drain()

    cancelled = await (await api.get(f"/api/flow_runs/{stuck['id']}")).json()
    assert cancelled["state_type"] == "CANCELLED"
    assert cancelled["state"]["message"] == (
        "Flow run cancellation timed out; marked this flow run as Cancelled."
    )
    running = await (await api.get(f"/api/flow_runs/{recent['id']}")).json()
    assert running["state_type"] == "RUNNING"
