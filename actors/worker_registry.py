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
from dataclasses import dataclass, field
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


@dataclass
class Beating:
    """One worker's entry in Redis and the thread that keeps it fresh."""

    member: str
    stopping: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None


class WorkerProcessBeats(Middleware):
    """Records each worker of this process in Redis while it runs, and removes it when it
    stops. (A process runs one worker; tests run several, one after another or side by
    side.)"""

    def __init__(self) -> None:
        self.beating: dict[int, Beating] = {}

    def after_worker_boot(self, broker: Broker, worker: Worker) -> None:
        if not isinstance(broker, RedisBroker):
            return
        consumed = worker.consumer_whitelist or broker.get_declared_queues()
        queues = sorted(queue for queue in consumed if not queue.endswith((".DQ", ".XQ")))
        member = json.dumps(
            {"host": socket.gethostname(), "pid": os.getpid(), "queues": queues},
            separators=(",", ":"),
        )
        beating = self.beating[id(worker)] = Beating(member)
        beat(broker, member)
        beating.thread = threading.Thread(
            target=beat_until_stopped, args=(broker, beating), name="worker-beats", daemon=True
        )
        beating.thread.start()

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        beating = self.beating.pop(id(worker), None)
        if not isinstance(broker, RedisBroker) or beating is None:
            return
        beating.stopping.set()
        if beating.thread is not None:
            beating.thread.join()
        broker.client.zrem(worker_processes_key(broker), beating.member)


def beat(broker: RedisBroker, member: str) -> None:
    broker.client.zadd(worker_processes_key(broker), {member: int(time.time() * 1000)})


def beat_until_stopped(broker: RedisBroker, beating: Beating) -> None:
    while not beating.stopping.wait(BEAT_INTERVAL_SECONDS):
        try:
            beat(broker, beating.member)
        except redis.RedisError:  # Redis away for a moment: the next beat may get through
            continue
