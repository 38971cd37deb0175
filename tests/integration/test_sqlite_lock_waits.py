"""SQLite's write lock held by another process: no request waits past the busy timeout,
queued behind others or not; each gets a 503 with Retry-After and nothing of it is written."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import dramatiq
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from api import keys
from api.app import create_app
from migrations.commands import head_revision
from models.db.database import WRITE_BEGIN
from models.settings import Settings

#: Requests sent at once behind the held lock.
REQUESTS = 6
#: The busy timeout of the API under test, in ms.
BUSY_MS = 1000


@pytest.fixture
def sqlite_path(settings: Settings) -> str:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock: runs in the SQLite pass of the suite")
    assert url.database
    return url.database


@pytest.fixture
async def quick_api(
    settings: Settings,
    sqlite_path: str,
    workers: dramatiq.Worker,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> TestClient:
    """The API with a busy timeout of one second."""
    quick = settings.model_copy(update={"sqlite_busy_timeout_seconds": BUSY_MS / 1000})
    return await aiohttp_client(create_app(quick, schema_head=head_revision(settings)))


@pytest.fixture
def write_lock(sqlite_path: str) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock, taken by a connection of its own (as another process would)."""
    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    try:
        yield holder
    finally:
        holder.close()


def busy_waits_allowed(engine: Engine) -> list[int]:
    """The busy timeout (ms) each write transaction on `engine` is given, as it begins
    (reads take no write lock: they do not wait on it)."""
    allowed: list[int] = []

    def record(connection: Any) -> None:
        options = connection.get_execution_options()
        if options.get("sqlite_begin", WRITE_BEGIN) == WRITE_BEGIN:  # not a read
            allowed.append(options.get("sqlite_busy_ms", BUSY_MS))

    event.listen(engine, "begin", record)
    return allowed


async def test_queued_writes_answer_503_with_retry_after_and_are_never_written(
    quick_api: TestClient, write_lock: sqlite3.Connection
) -> None:
    flow = await (await quick_api.post("/api/flows/", json={"name": "locked"})).json()
    run = await (await quick_api.post("/api/flow_runs/", json={"flow_id": flow["id"]})).json()
    allowed = busy_waits_allowed(quick_api.app[keys.database].writer.engine)
    write_lock.execute("BEGIN IMMEDIATE")
    try:
        answers = await asyncio.gather(*[
            quick_api.post(f"/api/flow_runs/{run['id']}/set_state",
                           json={"state": {"type": "RUNNING"}})
            for _ in range(REQUESTS)
        ])  # fmt: skip
    finally:
        write_lock.execute("ROLLBACK")
    assert [(a.status, a.headers.get("Retry-After")) for a in answers] == [(503, "2")] * REQUESTS
    # Queued behind each other, the requests shared one busy timeout: each was given what
    # was left of its own, never a whole one after another's.
    assert sum(allowed) < 2 * BUSY_MS, allowed
    stored = await (await quick_api.get(f"/api/flow_runs/{run['id']}")).json()
    assert stored["state_type"] != "RUNNING"


async def test_writes_waiting_for_the_session_lock_answer_503_with_retry_after(
    quick_api: TestClient, write_lock: sqlite3.Connection
) -> None:
    allowed = busy_waits_allowed(quick_api.app[keys.database].engine.sync_engine)
    write_lock.execute("BEGIN IMMEDIATE")
    try:
        answers = await asyncio.gather(*[
            quick_api.post("/api/variables/", json={"name": f"v{n}", "value": n})
            for n in range(REQUESTS)
        ])  # fmt: skip
    finally:
        write_lock.execute("ROLLBACK")
    assert [(a.status, a.headers.get("Retry-After")) for a in answers] == [(503, "2")] * REQUESTS
    assert sum(allowed) < 2 * BUSY_MS, allowed
    listed = await (await quick_api.post("/api/variables/filter", json={})).json()
    assert listed == []
