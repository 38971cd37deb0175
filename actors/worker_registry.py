"""Which worker processes are alive: each one says so in Redis every few seconds.

Dramatiq's own `__heartbeats__` set is not that list: it holds every process that used the
broker lately, an API process that only sends messages or a CLI that replayed a dead letter
among them, under ids that say nothing. Each worker process here keeps one member of
`<namespace>:__worker_processes__` (its host, pid and queues, as JSON) scored with the time
of its last beat; `live_worker_processes` in `actors/queue_admin.py` counts the recent ones.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Final

import redis
from dramatiq import Broker, Middleware, Worker
from dramatiq.brokers.redis import RedisBroker

#: The sorted set of worker processes, under the broker's namespace.
WORKER_PROCESSES_KEY: Final = "__worker_processes__"
#: Seconds between two beats of one worker process.
BEAT_INTERVAL_SECONDS: Final = 5.0


def worker_processes_key(broker: RedisBroker) -> str:
    return f"{broker.namespace}:{WORKER_PROCESSES_KEY}"


class WorkerProcessBeats(Middleware):
    """Records this worker process in Redis while it runs, and removes it when it stops."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.beating: threading.Thread | None = None
        self.member = ""

    def after_worker_boot(self, broker: Broker, worker: Worker) -> None:
        if not isinstance(broker, RedisBroker):
            return
        queues = sorted(worker.consumer_whitelist or broker.get_declared_queues())
        self.member = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "queues": queues},
            separators=(",", ":"),
        )
        self.stopping.clear()
        self.beat(broker)
        self.beating = threading.Thread(
            target=self.beat_until_stopped, args=(broker,), name="worker-beats", daemon=True
        )
        self.beating.start()

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        if not isinstance(broker, RedisBroker) or self.beating is None:
            return
        self.stopping.set()
        self.beating.join()
        self.beating = None
        broker.client.zrem(worker_processes_key(broker), self.member)

    def beat(self, broker: RedisBroker) -> None:
        broker.client.zadd(worker_processes_key(broker), {self.member: int(time.time() * 1000)})

    def beat_until_stopped(self, broker: RedisBroker) -> None:
        while not self.stopping.wait(BEAT_INTERVAL_SECONDS):
            try:
                self.beat(broker)
            except redis.RedisError:  # Redis away for a moment: the next beat may get through
                continue
