"""The broker every actor binds to. actors/__init__.py imports it before any actor.

The Redis URL is read from the environment once, when this module is first imported:
`signalbox server start` sets SIGNALBOX_REDIS_URL for its children, tests set it at the top of
their conftest.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from uuid import uuid4

import dramatiq
import orjson
import redis
from dramatiq.broker import Broker, Consumer, MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import current_millis, q_name
from dramatiq.encoder import JSONEncoder, MessageData
from dramatiq.errors import ConnectionClosed
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
#: Pause between two tries of a retry's enqueue while Redis is away.
REDIS_AWAY_PAUSE_SECONDS = 1.0
#: Most message ids handed back to a queue in one call of Dramatiq's `requeue` script.
REQUEUE_BATCH = 1000

logger = logging.getLogger(__name__)


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
    worker's messages may wait minutes to come back. Its script hands back a dead worker's
    messages of the one queue the command is for, so here every process runs it at most
    every MAINTENANCE_INTERVAL_SECONDS for each queue (on its next command on that queue,
    and each consumer polls its queue constantly): a dead worker's messages of every queue
    are requeued within HEARTBEAT_TIMEOUT_MS plus that interval.

    Delay queues are polled less often than the queues (DELAY_QUEUE_POLL_MS): every queue
    has one, and their polls were a third of an idle server's CPU.

    A consumer made again for a queue, as Dramatiq does after losing Redis, first hands back
    what the one it replaces left in this process's ack set (SignalboxConsumer).
    """

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        #: Per queue, when this process next runs maintenance for it.
        self.next_maintenance: dict[str, float] = {}
        self.maintenance_lock = threading.Lock()
        self.in_hand = MessagesInHand()
        self.consumed_queues: set[str] = set()
        self.consumed_queues_lock = threading.Lock()
        # A forked process (`server start` forks its workers from a parent that imported the
        # actors) is another consumer: with its parent's id its ack sets and heartbeat would be
        # its siblings', and what a killed one held would never be handed back.
        os.register_at_fork(after_in_child=self.take_new_id)

    def take_new_id(self) -> None:
        self.broker_id = str(uuid4())

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        if q_name(queue_name) != queue_name:  # `<queue>.DQ`, a delay queue
            timeout = max(timeout, DELAY_QUEUE_POLL_MS)
        with self.consumed_queues_lock:
            replaces_another = queue_name in self.consumed_queues
            self.consumed_queues.add(queue_name)
        return SignalboxConsumer(self, queue_name, prefetch, timeout, replaces_another)

    def _dispatch(self, command: str) -> Callable[..., Any]:
        # Dramatiq's own, but for the maintenance decided per queue (`maintenance_due`):
        # its `_should_do_maintenance` is not told the queue. With one clock for all the
        # queues of a process, maintenance went to whichever queue polled first, and a dead
        # worker's messages of another queue could wait for minutes.
        dispatch = self.scripts["dispatch"]
        keys = [self.namespace]

        def do_dispatch(queue_name: str, *args: Any) -> Any:
            arguments = [
                command,
                current_millis(),
                queue_name,
                self.broker_id,
                self.heartbeat_timeout,
                self.dead_message_ttl,
                self.maintenance_due(command, queue_name),
                self._max_unpack_size(),
                *args,
            ]
            return dispatch(args=arguments, keys=keys)

        return do_dispatch

    def maintenance_due(self, command: str, queue_name: str) -> int:
        """1 if this command runs the maintenance of its queue (at most every
        MAINTENANCE_INTERVAL_SECONDS per queue in this process), else 0."""
        if command in {"enqueue", "ack", "nack"}:  # keep the hot paths lean
            return 0
        now = time.monotonic()
        with self.maintenance_lock:
            if now < self.next_maintenance.get(queue_name, 0.0):
                return 0
            self.next_maintenance[queue_name] = now + MAINTENANCE_INTERVAL_SECONDS
        return 1


class MessagesInHand:
    """Per queue, the Redis ids of the messages this process's consumers handed out and
    have not yet acked, nacked or requeued: those a worker thread holds (or will)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[str, set[str]] = {}

    def add(self, queue_name: str, message_id: str) -> None:
        with self.lock:
            self.ids.setdefault(queue_name, set()).add(message_id)

    def discard(self, queue_name: str, message_ids: Iterable[str]) -> None:
        with self.lock:
            self.ids.get(queue_name, set()).difference_update(message_ids)

    def of(self, queue_name: str) -> set[str]:
        with self.lock:
            return set(self.ids.get(queue_name, ()))

    def forget(self, queue_name: str) -> None:
        with self.lock:
            self.ids.pop(queue_name, None)


class SignalboxConsumer(_RedisConsumer):  # type: ignore[misc]  # Dramatiq's, untyped
    """Dramatiq's Redis consumer, which also hands back what the consumer it replaces left.

    A fetch moves messages into this process's ack set in Redis. When Redis goes away,
    Dramatiq's consumer thread drops its consumer, with the messages it had fetched and not
    yet handed out, and throws away its delay queue, with the retries waiting out their
    backoff; then it makes a new consumer. The dropped messages stay in the ack set, which
    maintenance hands back only when this process's heartbeat stops: never, while it lives.
    So the first poll of a replacing consumer puts back on the queue the ack set's messages
    that no worker thread holds; for a delay queue, all of them (its thread holds none now,
    and each keeps its eta, so its delay is kept). A message may so run twice: delivery is at
    least once, and every actor is idempotent.
    """

    broker: SignalboxBroker

    def __init__(
        self,
        broker: SignalboxBroker,
        queue_name: str,
        prefetch: int,
        timeout: int,
        replaces_another: bool,
    ) -> None:
        super().__init__(broker, queue_name, prefetch, timeout)
        self.strays_to_hand_back = replaces_another

    def __next__(self) -> MessageProxy | None:
        if self.strays_to_hand_back:
            try:
                self.hand_back_strays()
            except redis.ConnectionError as error:  # the consumer thread tries again
                raise ConnectionClosed(error) from None
            self.strays_to_hand_back = False
        message: MessageProxy | None = super().__next__()
        if message is not None:
            self.broker.in_hand.add(self.queue_name, message.options["redis_message_id"])
        return message

    def hand_back_strays(self) -> None:
        acks = f"{self.broker.namespace}:__acks__.{self.broker.broker_id}.{self.queue_name}"
        fetched = {message_id.decode() for message_id in self.broker.client.smembers(acks)}
        if q_name(self.queue_name) != self.queue_name:  # a delay queue: all of it
            self.broker.in_hand.forget(self.queue_name)
            strays = sorted(fetched)
        else:
            strays = sorted(fetched - self.broker.in_hand.of(self.queue_name))
        if strays:
            logger.warning("Handing %d fetched messages back to %s", len(strays), self.queue_name)
        for start in range(0, len(strays), REQUEUE_BATCH):
            self.broker.do_requeue(self.queue_name, *strays[start : start + REQUEUE_BATCH])

    # A message stays in hand until Redis has taken its ack, nack or requeue.
    def ack(self, message: MessageProxy) -> None:
        super().ack(message)
        self.broker.in_hand.discard(self.queue_name, [message.options["redis_message_id"]])

    def nack(self, message: MessageProxy) -> None:
        super().nack(message)
        self.broker.in_hand.discard(self.queue_name, [message.options["redis_message_id"]])

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        messages = list(messages)
        try:
            super().requeue(messages)
        except redis.ConnectionError as error:
            # What Dramatiq's consumer thread survives when it closes a consumer; any other
            # error there ends the thread, and its queue would be consumed no more.
            raise ConnectionClosed(error) from None
        ids = [message.options["redis_message_id"] for message in messages]
        self.broker.in_hand.discard(self.queue_name, ids)


class RetriesAcrossOutages(Retries):
    """Dramatiq's Retries, whose retry waits for Redis instead of being dropped.

    Retries puts a failed message's retry on the delay queue from `after_process_message`.
    Dramatiq logs what that raises and goes on to acknowledge the message, so a retry that
    met Redis away was lost. Here the worker thread tries again until Redis answers, as
    Dramatiq itself does for the acknowledgement that follows.
    """

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        options = dict(message.options)
        while True:
            try:
                super().after_process_message(broker, message, result=result, exception=exception)
                return
            except redis.ConnectionError as error:
                logger.warning("Retry of message %s waits for Redis: %s", message.message_id, error)
            message.options.clear()  # the next try counts this retry once, not twice
            message.options.update(options)
            time.sleep(REDIS_AWAY_PAUSE_SECONDS)


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
        RetriesAcrossOutages(),
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
