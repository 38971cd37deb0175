"""Fixtures of the notification and automation action tests: the services' stand-in, settings
that point every channel at it, and in-process workers that consume the channel queues too.

Imported by the conftests (and the compat test) that want them, so each is defined once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import dramatiq
import pytest

from models.db.database import Database
from models.settings import Settings
from tests.integration.notifications.harness import (
    ALL_QUEUES,
    notification_settings,
    running_workers,
)
from tests.integration.notifications.receiver import Receiver
from tests.running import Drain, drainer


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
    with running_workers(settings, monkeypatch, ALL_QUEUES) as worker:
        yield worker


@pytest.fixture
def drain(workers: dramatiq.Worker) -> Drain:
    """Wait until every message so far, retries due later included, has been processed."""
    return drainer(workers, ALL_QUEUES)
