"""What worker processes count for `/metrics`: each actor's messages and how long they took,
and each channel's delivery outcomes.

Counted with prometheus-client. Under `signalbox server start` every process writes its
counts to files in PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable, set by the
server for its children), and whichever API process is scraped adds them all up; without it
a process counts in memory, for its own `/metrics` only.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Final

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy
from prometheus_client import Counter, Histogram

#: Seconds an actor's message took to process, from the worker taking it to its result.
ACTOR_DURATION: Final = Histogram(
    "signalbox_actor_duration_seconds",
    "Seconds an actor took to process one message.",
    ["queue", "actor"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
#: Messages processed, by how they ended: succeeded, or failed (retried or dead).
ACTOR_MESSAGES: Final = Counter(
    "signalbox_actor_messages_total",
    "Messages processed by an actor, by outcome (succeeded, failed).",
    ["queue", "actor", "outcome"],
)
#: The status each delivery attempt left its delivery in.
DELIVERY_OUTCOMES: Final = Counter(
    "signalbox_delivery_attempts_total",
    "Delivery attempts by channel and the delivery's status after them "
    "(delivered, pending: to be retried, failed: refused, dead: given up).",
    ["channel", "status"],
)


class ActorMetrics(Middleware):
    """Times every message an actor processes and counts how it ended.

    The start times are kept here, by message id, rather than in the message's options: a
    retried message is enqueued again with its options.
    """

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.lock = threading.Lock()

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        with self.lock:
            self.started[message.message_id] = time.perf_counter()

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        with self.lock:
            started = self.started.pop(message.message_id, None)
        if started is not None:
            ACTOR_DURATION.labels(message.queue_name, message.actor_name).observe(
                time.perf_counter() - started
            )
        outcome = "succeeded" if exception is None else "failed"
        ACTOR_MESSAGES.labels(message.queue_name, message.actor_name, outcome).inc()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        with self.lock:
            self.started.pop(message.message_id, None)
