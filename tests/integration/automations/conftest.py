"""Fixtures of the automation action tests: the services' stand-in, and in-process workers on
the core, channel and `actions` queues."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import dramatiq
import pytest

from actors.broker import broker
from models.db.database import Database
from models.settings import Settings
from tests.integration.notifications.harness import (
    ALL_QUEUES,
    notification_settings,
    running_workers,
)
from tests.integration.notifications.receiver import Receiver
from tests.running import Drain

#: The queues these tests' workers consume: the actions queue besides the notification ones.
QUEUES = ALL_QUEUES | {"actions"}


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    service = await Receiver().start()
    try:
        yield service
    finally:
        await service.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, receiver: Receiver) -> Settings:
    return notification_settings(tmp_path, database_url, receiver)


@pytest.fixture
def workers(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dramatiq.Worker]:
    with running_workers(settings, monkeypatch, QUEUES) as worker:
        yield worker


@pytest.fixture
def drain(workers: dramatiq.Worker) -> Drain:
    """Wait until every message so far, retries due later included, has been processed."""

    def join_all() -> None:
        for _ in range(3):  # actions queue deliveries and states, which queue more
            for queue in sorted(QUEUES):
                broker.join(queue, timeout=60_000)
            workers.join()

    async def wait() -> None:
        await asyncio.to_thread(join_all)

    return wait
