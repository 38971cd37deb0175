"""A worker's database and Redis client are open for its first message and closed after its last."""

from __future__ import annotations

import dramatiq
import pytest

from actors import resources
from actors.broker import broker
from models.db.database import Database
from models.settings import Settings


@pytest.fixture
def unstarted_worker(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> dramatiq.Worker:
    monkeypatch.setenv("SIGNALBOX_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SIGNALBOX_HOME", str(settings.home))
    return dramatiq.Worker(broker, queues={"services"}, worker_threads=1)


def test_resources_are_open_before_the_worker_threads_start(
    unstarted_worker: dramatiq.Worker,
) -> None:
    # Dramatiq starts the consumer and worker threads between the before_ and after_
    # worker_boot signals: whatever they run first must find the resources open.
    broker.emit_before("worker_boot", unstarted_worker)
    try:
        assert resources.database() is not None
        assert resources.redis_client() is not None
    finally:
        broker.emit_before("worker_shutdown", unstarted_worker)
        # Still open while the threads finish their messages...
        assert resources.database() is not None
        broker.emit_after("worker_shutdown", unstarted_worker)
    # ...and closed once the worker has stopped.
    with pytest.raises(RuntimeError, match="not open"):
        resources.database()
