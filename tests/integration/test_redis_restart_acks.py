"""Redis restarting under a living worker strands nothing in the worker's ack sets.

A Redis consumer moves what it fetches into this process's ack set in Redis. When Redis goes
away, Dramatiq's consumer thread forgets its prefetched messages and the retries waiting out
their backoff, but they stay in the ack set, which maintenance hands back only once the
worker's heartbeat stops. These tests kill a real Redis (SIGKILL) under a real worker and
start it again on the same port and AOF, as `signalbox server start` does.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
import redis
from dramatiq import Middleware
from dramatiq.broker import Broker, MessageProxy
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message

from actors.broker import HEARTBEAT_TIMEOUT_MS, RetriesAcrossOutages, SignalboxBroker
from cli.embedded_redis import EmbeddedRedis

pytestmark = pytest.mark.timeout(120)

QUEUE = "acks"
#: Backoff of the test actor's retries: long enough to be waiting in the delay queue when
#: Redis dies (a jittered backoff is 50-100% of it).
BACKOFF_MS = 4_000
#: Everything is back well before the heartbeat timeout would have the worker declared dead.
RECOVERY_SECONDS = 12.0
assert RECOVERY_SECONDS * 1000 < HEARTBEAT_TIMEOUT_MS


def wait_for(condition: Callable[[], bool], seconds: float, what: Callable[[], str]) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what()}"
        time.sleep(0.05)  # polling, with a deadline


class RetryEnqueues(Middleware):
    """Counts the attempts to put each message's retry on its delay queue."""

    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        if delay is not None and message.options.get("retries"):
            self.attempts[message.args[0]] += 1


def next_message(consumer: Iterator[MessageProxy | None]) -> MessageProxy:
    """The consumer's next message; it answers None while its queue is empty."""
    deadline = time.monotonic() + 5
    while (message := next(consumer)) is None:
        assert time.monotonic() < deadline, "the queue stayed empty"
    return message


def noop(key: str) -> None:
    pass


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


def kill(server: EmbeddedRedis) -> None:
    assert server.process is not None
    server.process.kill()
    server.process.wait()


def acks_key(broker: SignalboxBroker, queue_name: str) -> str:
    return f"{broker.namespace}:__acks__.{broker.broker_id}.{queue_name}"


def make_broker(server: EmbeddedRedis, *middleware: Middleware) -> SignalboxBroker:
    return SignalboxBroker(
        url=server.url,
        namespace=f"acks-{uuid.uuid4().hex[:8]}",
        heartbeat_timeout=HEARTBEAT_TIMEOUT_MS,
        middleware=[*middleware, RetriesAcrossOutages(max_retries=3)],
    )


def test_messages_in_flight_when_redis_restarts_are_all_processed(
    embedded: EmbeddedRedis,
) -> None:
    enqueues = RetryEnqueues()
    broker = make_broker(embedded, enqueues)
    client = redis.Redis.from_url(embedded.url)
    lock = threading.Lock()
    attempts: Counter[str] = Counter()
    done: Counter[str] = Counter()
    running = threading.Semaphore(0)
    redis_is_down = threading.Event()

    def work(key: str) -> None:
        with lock:
            attempts[key] += 1
            first = attempts[key] == 1
        if key == "fails-once" and first:
            raise RuntimeError("fails once, retried after a backoff")
        if first and key != "delayed":  # in a worker thread's hands when Redis dies
            running.release()
            redis_is_down.wait(timeout=60)
        if key == "fails-during-the-outage" and first:
            raise RuntimeError("fails while Redis is away")
        with lock:
            done[key] += 1

    actor = dramatiq.actor(
        broker=broker,
        actor_name="work",
        queue_name=QUEUE,
        min_backoff=BACKOFF_MS,
        max_backoff=BACKOFF_MS,
    )(work)
    # Two worker threads prefetch four messages: two run, two wait in the worker's memory.
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    try:
        actor.send("fails-once")
        actor.send_with_options(args=("delayed",), delay=BACKOFF_MS)
        # Both sit in the worker's memory, fetched into its ack set, waiting for their eta.
        dq_acks = acks_key(broker, f"{QUEUE}.DQ")
        wait_for(lambda: client.scard(dq_acks) == 2, 10, lambda: "both delayed fetched")
        actor.send("fails-during-the-outage")
        plain = [f"plain-{number}" for number in range(6)]
        for key in plain:
            actor.send(key)
        assert running.acquire(timeout=10) and running.acquire(timeout=10)
        wait_for(lambda: client.scard(acks_key(broker, QUEUE)) == 4, 10, lambda: "prefetched")

        kill(embedded)
        redis_is_down.set()
        # The failed message's retry could not be put on Redis; it is tried again.
        retried = enqueues.attempts
        wait_for(lambda: retried["fails-during-the-outage"] >= 2, 30, lambda: f"{retried}")
        embedded.start()  # the same port, password and AOF

        expected = {"fails-during-the-outage", "fails-once", "delayed", *plain}
        wait_for(lambda: set(done) == expected, RECOVERY_SECONDS, lambda: f"{done} done")
        queue_acks = acks_key(broker, QUEUE)
        ack_sets_empty = lambda: client.scard(queue_acks) + client.scard(dq_acks) == 0  # noqa: E731
        wait_for(ack_sets_empty, RECOVERY_SECONDS, lambda: "ack sets emptied")
        assert client.llen(f"{broker.namespace}:{QUEUE}") == 0
        # What worker threads held across the outage is not handed out again.
        assert all(done[key] == 1 for key in plain), done
    finally:
        assert embedded.process is not None
        if embedded.process.poll() is not None:
            embedded.start()  # a worker waits for Redis to hand its messages back
        worker.stop()
        client.close()


def test_a_new_consumer_hands_back_what_its_predecessor_fetched_and_no_thread_holds(
    embedded: EmbeddedRedis,
) -> None:
    broker = make_broker(embedded)
    actor = dramatiq.actor(broker=broker, actor_name="noop", queue_name=QUEUE)(noop)
    for key in ("a", "b", "c"):
        actor.send(key)
    abandoned = broker.consume(QUEUE, prefetch=3)
    held = next(abandoned)  # fetches all three, hands out one
    assert held is not None

    # What Dramatiq does after a connection error: a new consumer for the same queue.
    consumer = broker.consume(QUEUE, prefetch=3)
    handed_out = [next_message(consumer) for _ in range(2)]
    others = {"a", "b", "c"} - {held.args[0]}
    assert sorted(message.args[0] for message in handed_out) == sorted(others)
    for message in (held, *handed_out):
        consumer.ack(message)
    client = redis.Redis.from_url(embedded.url)
    assert client.scard(acks_key(broker, QUEUE)) == 0
    client.close()


def test_handing_back_messages_while_redis_is_away_is_a_connection_error(
    embedded: EmbeddedRedis,
) -> None:
    # Dramatiq's consumer thread survives a ConnectionClosed when it closes a consumer; any
    # other error there ends the thread, and its queue is consumed no more.
    broker = make_broker(embedded)
    actor = dramatiq.actor(broker=broker, actor_name="noop", queue_name=QUEUE)(noop)
    actor.send("a")
    consumer = broker.consume(QUEUE, prefetch=1)
    message = next_message(consumer)
    kill(embedded)
    with pytest.raises(ConnectionClosed):
        consumer.requeue([message])
