"""A dead worker's messages come back on every queue it held, not only on the queue whose
command happened to run the maintenance (Dramatiq's script requeues one queue per call)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from actors.broker import SignalboxBroker
from tests.conftest import TEST_REDIS_URL


@pytest.fixture
def queues() -> Iterator[tuple[str, str]]:
    names = (f"maintenance-a-{uuid.uuid4().hex[:8]}", f"maintenance-b-{uuid.uuid4().hex[:8]}")
    yield names
    client = redis.Redis.from_url(TEST_REDIS_URL)
    for name in names:
        for key in client.scan_iter(f"signalbox:*{name}*"):
            client.delete(key)


def test_each_queue_gets_its_maintenance_however_busy_the_others_are(
    queues: tuple[str, str],
) -> None:
    busy, held = queues
    # A worker process that took a message of `held`, then died (its heartbeat long past).
    dead = SignalboxBroker(url=TEST_REDIS_URL, namespace="signalbox")
    dead.do_enqueue(held, "held-message", b'{"message_id": "held-message"}')
    assert dead.do_fetch(held, 1) != []
    dead.client.zadd("signalbox:__heartbeats__", {dead.broker_id: 0})

    alive = SignalboxBroker(url=TEST_REDIS_URL, namespace="signalbox")
    # A live process's poll of one queue runs the maintenance of that queue...
    assert alive.do_fetch(busy, 1) == []
    # ...and its next poll of the other queue runs that queue's: the dead worker's message
    # comes back at once, not once the first queue's interval has passed.
    assert alive.do_fetch(held, 1) == [b'{"message_id": "held-message"}']
    assert alive.maintenance_due("fetch", busy) == alive.maintenance_due("fetch", held) == 0
