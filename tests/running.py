"""The running pieces integration and compatibility tests need: workers, the API, draining.

Everything is real: the API on a port, Dramatiq workers in this process on the test Redis,
the suite's database. Tests wait by draining the queues, never by sleeping.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator

import dramatiq
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from actors.broker import broker
from api.app import create_app
from migrations.commands import head_revision
from models.db.database import Database
from models.settings import Settings

#: The queues the in-process workers consume (notification channels have their own tests);
#: state events reach notification policies through `automations`, other automations'
#: actions run on `actions`.
CORE_QUEUES = {"state", "ingest", "services", "automations", "actions"}

Drain = Callable[[], Awaitable[None]]


@pytest.fixture
def workers(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dramatiq.Worker]:
    """Dramatiq workers on the core queues, in this process, on a flushed broker."""
    # A worker reads its settings from the environment when it boots.
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIGNALBOX_HOME", str(settings.home))
    broker.flush_all()
    worker = dramatiq.Worker(broker, queues=CORE_QUEUES, worker_threads=4, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        broker.flush_all()


def drainer(workers: dramatiq.Worker, queues: Iterable[str]) -> Drain:
    """A wait until every message queued so far on `queues` (and those they queue, retries
    due later included) has been processed by `workers`."""
    ordered = sorted(queues)

    def join_all() -> None:
        for _ in range(3):  # actors may queue follow-up messages: drain until quiet
            for queue in ordered:
                broker.join(queue, timeout=60_000)
            workers.join()

    async def wait() -> None:
        await asyncio.to_thread(join_all)

    return wait


@pytest.fixture
def drain(workers: dramatiq.Worker) -> Drain:
    """Wait until every message queued so far (and those they queue) has been processed."""
    return drainer(workers, CORE_QUEUES)


@pytest.fixture
async def api(
    settings: Settings,
    workers: dramatiq.Worker,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> TestClient:
    """A client of the real API, with workers consuming what it queues."""
    return await aiohttp_client(create_app(settings, schema_head=head_revision(settings)))


@contextlib.asynccontextmanager
async def serve_api(settings: Settings) -> AsyncIterator[str]:
    """The API on a free port of 127.0.0.1 for as long as the block runs; yields its URL."""
    runner = web.AppRunner(create_app(settings, schema_head=head_revision(settings)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        await runner.cleanup()


@pytest.fixture
async def live_api_url(settings: Settings, workers: dramatiq.Worker) -> AsyncIterator[str]:
    """The API on a real port of 127.0.0.1, for clients in other processes (the Prefect SDK)."""
    async with serve_api(settings) as url:
        yield url
