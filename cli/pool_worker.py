"""A Dramatiq worker whose consumers each fetch ahead, and poll when idle, as their own
queue's pool says.

Dramatiq gives every consumer of a worker the same prefetch. A process that runs several
pools (`server start`'s one worker process) needs each queue's own: the state and ingest
consumers keep the 32 messages their throughput needs, while a channel's stays at 8, so a
slow receiver holds at most 8 of the shared threads.
"""

from __future__ import annotations

from typing import Any

import dramatiq

from cli.pools import Pool


class PoolWorker(dramatiq.Worker):
    def __init__(self, broker: dramatiq.Broker, pool: Pool, **options: Any) -> None:
        self.pool = pool
        super().__init__(broker, queues=set(pool.queues), worker_threads=pool.threads, **options)

    def _add_consumer(self, queue_name: str, *, delay: bool = False) -> None:
        # Called for each queue by `start` (and for a queue declared later), before the
        # consumer reads `queue_prefetch`; the delay queues keep Dramatiq's own prefetch.
        self.queue_prefetch = self.pool.prefetch_of(queue_name)
        idle_poll, self.worker_timeout = self.worker_timeout, self.pool.idle_poll_of(queue_name)
        try:
            super()._add_consumer(queue_name, delay=delay)
        finally:  # the worker threads' own timeout stays the worker's
            self.worker_timeout = idle_poll
