"""What `/metrics` reads when it is scraped: queue depths from Redis, slots held from the
database. Counted where they are kept, so every process's work shows, whichever answers."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from models.concurrency.tables import ConcurrencyLimit

if TYPE_CHECKING:
    from collections.abc import Iterable

    import redis.asyncio
    from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class QueueDepth:
    """The messages of one queue: waiting, waiting for their time, held by a worker, dead."""

    queue: str
    ready: int
    delayed: int
    in_flight: int
    dead: int


async def read_queue_depths(
    client: redis.asyncio.Redis, namespace: str, queues: Iterable[str]
) -> list[QueueDepth]:
    """Each queue's depths, as Dramatiq's Redis broker keeps them under `namespace`: the list
    `Q`, the list `Q.DQ`, the sorted set `Q.XQ` and each worker process's set of acks."""
    names = sorted(queues)
    pipeline = client.pipeline(transaction=False)
    for queue in names:
        pipeline.llen(f"{namespace}:{queue}")
        pipeline.llen(f"{namespace}:{queue}.DQ")
        pipeline.zcard(f"{namespace}:{queue}.XQ")
    counts = await pipeline.execute()
    held: Counter[str] = Counter()
    prefix = f"{namespace}:__acks__."
    async for key in client.scan_iter(match=f"{prefix}*", count=500):
        text = key.decode() if isinstance(key, bytes) else str(key)
        # `__acks__.<worker id>.<queue>`: the worker id holds no dot, a queue may.
        _worker, _, queue = text.removeprefix(prefix).partition(".")
        held[queue] += await client.scard(key)
    return [
        QueueDepth(queue, counts[3 * n], counts[3 * n + 1], held[queue], counts[3 * n + 2])
        for n, queue in enumerate(names)
    ]


async def read_live_queues(
    client: redis.asyncio.Redis, worker_processes_key: str, oldest_ms: int
) -> set[str]:
    """The queues consumed by a worker process that beat since `oldest_ms` (ms since the
    epoch): each keeps one member of the sorted set `worker_processes_key`, JSON holding its
    queues, scored with the time of its last beat (see actors/worker_registry.py)."""
    members = await client.zrangebyscore(worker_processes_key, oldest_ms, "+inf")
    beats = [member.decode() if isinstance(member, bytes) else str(member) for member in members]
    return {queue for beat in beats for queue in json.loads(beat)["queues"]}


async def read_slots_held(session: AsyncSession) -> dict[str, int]:
    """The slots each concurrency limit has in use now, by the limit's name."""
    rows = await session.execute(select(ConcurrencyLimit.name, ConcurrencyLimit.active_slots))
    return {name: int(slots) for name, slots in rows}
