"""The broker every actor binds to. actors/__init__.py imports it before any actor.

The Redis URL is read from the environment once, when this module is first imported:
`signalbox server start` sets SIGNALBOX_REDIS_URL for its children, tests set it at the top of
their conftest.
"""

from __future__ import annotations

import threading
import time

import dramatiq
import orjson
from dramatiq.broker import Consumer
from dramatiq.brokers.redis import RedisBroker
from dramatiq.common import q_name
from dramatiq.encoder import JSONEncoder, MessageData
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from actors.channels.http import CloseReceiverSessions
from actors.dead_letters import DeadLetters
from actors.lifecycle import WorkerResources
from actors.metrics import ActorMetrics
from actors.worker_registry import WorkerProcessBeats
from models.settings import Settings

#: Where the broker connects when no URL is configured (a Redis on this machine).
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: A worker process silent this long is dead: its unacknowledged messages are requeued.
HEARTBEAT_TIMEOUT_MS = 15_000
#: How often each process runs Redis-side maintenance (requeueing a dead worker's messages).
MAINTENANCE_INTERVAL_SECONDS = 5.0
#: Longest pause of an idle consumer of a delay queue between polls of Redis, in ms. What
#: waits there is a retry due after a backoff of its own, for which a few hundred
#: milliseconds more matter little; the queues themselves keep the worker's poll interval.
DELAY_QUEUE_POLL_MS = 500


class FastJSONEncoder(JSONEncoder):
    """Messages as JSON through orjson, which encodes and decodes them several times faster.

    Ingest messages carry thousands of log records or events each, so their JSON is much of
    what the API and the ingest workers spend. orjson also writes datetimes and UUIDs, and
    embeds `orjson.Fragment`s (JSON already written, such as an event frame as the client
    sent it) as they are. What orjson refuses (integers beyond 64 bits; NaN, which the
    standard library writes and clients may send) goes through the standard library.
    """

    def encode(self, data: MessageData) -> bytes:
        try:
            return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:
            return super().encode(data)

    def decode(self, data: bytes) -> MessageData:
        try:
            return orjson.loads(data)  # type: ignore[no-any-return]  # a JSON object here
        except orjson.JSONDecodeError:
            return super().decode(data)


class SignalboxBroker(RedisBroker):
    """Dramatiq's Redis broker with maintenance on a clock instead of by chance.

    Dramatiq runs maintenance on about one command in a thousand, at random, so a killed
    worker's messages may wait minutes to come back. Here every process runs it at most
    every MAINTENANCE_INTERVAL_SECONDS (on its next command, and workers poll constantly),
    so they are requeued within HEARTBEAT_TIMEOUT_MS plus that interval.

    Delay queues are polled less often than the queues (DELAY_QUEUE_POLL_MS): every queue
    has one, and their polls were a third of an idle server's CPU.
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.next_maintenance = 0.0
        self.maintenance_lock = threading.Lock()

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        if q_name(queue_name) != queue_name:  # `<queue>.DQ`, a delay queue
            timeout = max(timeout, DELAY_QUEUE_POLL_MS)
        return super().consume(queue_name, prefetch, timeout)

    def _should_do_maintenance(self, command: str) -> int:
        if command in {"enqueue", "ack", "nack"}:  # keep the hot paths lean
            return 0
        now = time.monotonic()
        with self.maintenance_lock:
            if now < self.next_maintenance:
                return 0
            self.next_maintenance = now + MAINTENANCE_INTERVAL_SECONDS
        return 1


broker = SignalboxBroker(
    url=Settings().redis_url or DEFAULT_REDIS_URL,
    namespace="signalbox",
    heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
    middleware=[
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        # `after_*` hooks run in reverse order: DeadLetters, listed before Retries, sees
        # whether Retries gave up on the message.
        DeadLetters(),
        Retries(),
        AsyncIO(),
        CurrentMessage(),
        WorkerResources(),
        WorkerProcessBeats(),
        # Channel actors share one session to receivers per worker; it closes with the worker.
        CloseReceiverSessions(),
        ActorMetrics(),
    ],
)
dramatiq.set_broker(broker)
dramatiq.set_encoder(FastJSONEncoder())
