"""What the queue CLI reads and does: queue statistics, replaying dead letters, purging.

Dramatiq keeps, per queue `Q` under our namespace: the list `Q` (ready), the list `Q.DQ`
(delayed until their time), the sorted set `Q.XQ` (dead, kept a week), and for each worker
process a set `__acks__.<worker>.Q` of messages it holds. Which worker processes are alive
is ours to say (`actors/worker_registry.py`): Dramatiq's `__heartbeats__` also counts every
process that only sent a message.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import dramatiq

from actors.broker import HEARTBEAT_TIMEOUT_MS, broker
from actors.high_water import RedisMemory
from actors.worker_registry import worker_processes_key
from models.messages.dead_letters import list_dead_letters, mark_replayed, read_dead_letter

if TYPE_CHECKING:
    from models.db.database import Database

#: Dead letters one `replay --all` sends at the most.
MAX_REPLAYED = 10_000


@dataclass(frozen=True)
class QueueStats:
    queue: str
    ready: int
    delayed: int
    in_flight: int
    dead: int


def known_queues() -> list[str]:
    """Every queue an actor is declared on (importing `actors` declares them all)."""
    import actors  # noqa: F401

    return sorted(q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ")))


def queue_stats(queue: str) -> QueueStats:
    client, ns = broker.client, broker.namespace
    in_flight = sum(client.scard(key) for key in client.scan_iter(f"{ns}:__acks__.*.{queue}"))
    return QueueStats(
        queue=queue,
        ready=client.llen(f"{ns}:{queue}"),
        delayed=client.llen(f"{ns}:{queue}.DQ"),
        in_flight=in_flight,
        dead=client.zcard(f"{ns}:{queue}.XQ"),
    )


def read_redis_memory() -> RedisMemory:
    """Redis's memory now, to set against the queue high-water mark."""
    return RedisMemory.from_info(broker.client.info("memory"))


@dataclass(frozen=True)
class WorkerProcess:
    """A live worker process: where it runs and the queues it consumes."""

    host: str
    pid: int
    queues: tuple[str, ...]


def live_worker_processes() -> list[WorkerProcess]:
    """Worker processes that beat within the heartbeat timeout, by host and pid.

    Forgets the ones silent for longer (killed without a chance to say goodbye).
    """
    key = worker_processes_key(broker)
    oldest_ms = int(time.time() * 1000) - HEARTBEAT_TIMEOUT_MS
    broker.client.zremrangebyscore(key, "-inf", f"({oldest_ms}")
    alive = []
    for member in broker.client.zrangebyscore(key, oldest_ms, "+inf"):
        beat = json.loads(member)
        alive.append(WorkerProcess(beat["host"], int(beat["pid"]), tuple(beat["queues"])))
    return sorted(alive, key=lambda process: (process.host, process.pid))


def resend(stored: dict[str, Any]) -> str:
    """Enqueue a stored message again, as a new message with fresh retries; returns its id.

    The dead original is removed from Redis's dead-letter set, so it is not listed twice.
    """
    options = {
        key: value
        for key, value in (stored.get("options") or {}).items()
        if key not in {"retries", "traceback", "requeue_timestamp", "redis_message_id"}
    }
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name=stored["queue_name"],
        actor_name=stored["actor_name"],
        args=tuple(stored.get("args") or ()),
        kwargs=stored.get("kwargs") or {},
        options=options,
        message_id=str(uuid4()),
    )
    ns, queue = broker.namespace, stored["queue_name"]
    broker.client.zrem(f"{ns}:{queue}.XQ", stored["message_id"])
    broker.client.hdel(f"{ns}:{queue}.XQ.msgs", stored["message_id"])
    broker.enqueue(message)
    return message.message_id


@dataclass(frozen=True)
class ReplayedDeadLetter:
    """A dead letter sent again, and the id of the fresh message it went as."""

    dead_letter_id: UUID
    queue_name: str
    message_id: str


async def replay_dead_letters(
    database: Database, dead_letter_id: UUID | None = None, *, queue_name: str | None = None
) -> list[ReplayedDeadLetter]:
    """Send one dead letter (without an id: every one, or every one of `queue_name`) to its
    queue again with fresh retries, and count the replay on each; raises ObjectNotFound."""
    async with database.sessions.begin() as session:
        if dead_letter_id is None:
            letters = await list_dead_letters(session, queue_name=queue_name, limit=MAX_REPLAYED)
        else:
            letters = [await read_dead_letter(session, dead_letter_id)]
        replayed = []
        for letter in letters:
            # A blocking Redis round trip each: in a thread, so that the API's loop runs on.
            sent = await asyncio.to_thread(resend, letter.original_message)
            replayed.append(ReplayedDeadLetter(letter.id, letter.queue_name, sent))
            await mark_replayed(session, letter)
    return replayed


def purge(queue: str) -> None:
    """Drop every ready, delayed and dead message of the queue."""
    broker.flush(queue)
