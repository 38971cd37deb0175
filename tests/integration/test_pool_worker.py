"""The worker of a pool of pools (`server start`'s one worker process): each queue's consumer
fetches ahead as much as its own pool says, so a slow channel holds no more of the shared
threads than it would in a process of its own."""

from __future__ import annotations

from dataclasses import replace

from cli.pool_worker import PoolWorker
from cli.pools import ONE_PROCESS, pool_named


def test_each_queue_fetches_ahead_as_much_as_its_own_pool() -> None:
    from actors.broker import broker

    worker = PoolWorker(broker, replace(ONE_PROCESS, threads=2), worker_timeout=50)
    worker.start()
    try:
        prefetch = {name: consumer.prefetch for name, consumer in worker.consumers.items()}
    finally:
        worker.stop()
    assert {queue for queue in prefetch if not queue.endswith(".DQ")} == set(ONE_PROCESS.queues)
    for queue in ("state", "ingest", "automations"):
        assert prefetch[queue] == pool_named(queue).prefetch
    assert prefetch["notify.slack"] == prefetch["services"] == ONE_PROCESS.prefetch == 8
    assert prefetch["state.DQ"] == worker.delay_prefetch  # delayed messages: Dramatiq's own


def test_the_queues_a_notification_crosses_are_polled_more_often_when_idle() -> None:
    from actors.broker import broker
    from cli.pools import IDLE_POLL_MS, NOTIFICATION_PATH_POLL_MS

    worker = PoolWorker(broker, replace(ONE_PROCESS, threads=2), worker_timeout=IDLE_POLL_MS)
    worker.start()
    try:
        idle_poll = {name: consumer.worker_timeout for name, consumer in worker.consumers.items()}
        worker_threads = {thread.timeout for thread in worker.workers}
    finally:
        worker.stop()
    for queue in ("state", "automations", "notify.slack", "notify.webhook"):
        assert idle_poll[queue] == NOTIFICATION_PATH_POLL_MS < IDLE_POLL_MS, queue
    for queue in ("ingest", "services", "actions"):
        assert idle_poll[queue] == IDLE_POLL_MS, queue
    assert worker_threads == {IDLE_POLL_MS / 1000}
