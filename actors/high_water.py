"""The high-water mark: how much memory Redis may hold before bulk producers wait.

The API confirms an event or a log batch once its message is on Redis, so what the workers
have not taken yet waits there. Redis never evicts (a broker that drops messages would lose
work), so its memory is what must stay bounded: producers (the events socket, log batches)
go on at full speed while Redis uses less than the mark (`SIGNALBOX_QUEUE_HIGH_WATER_MB`),
and wait only above it, until workers take messages. One reading of `INFO memory`, at most
every 50 ms, serves every producer of the process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from prometheus_client import Counter

if TYPE_CHECKING:
    from collections.abc import Iterable

    import redis.asyncio

logger = logging.getLogger(__name__)

MB: Final = 2**20
#: How often Redis's memory is read, shared by every producer of the process.
HIGH_WATER_CHECK_SECONDS: Final = 0.05
#: The share of a Redis `maxmemory` the mark may reach: above maxmemory Redis refuses writes,
#: and producers should wait before sends start failing.
MAXMEMORY_SHARE: Final = 0.9
#: Queues named in the warning line: the ones holding the most messages.
LONGEST_QUEUES_SHOWN: Final = 3

PRODUCER_HOLDS: Final = Counter(
    "signalbox_producer_holds_total",
    "Times a producer (an events socket, a log batch) waited because Redis used more memory "
    "than the queue high-water mark.",
)
PRODUCER_HELD_SECONDS: Final = Counter(
    "signalbox_producer_held_seconds_total",
    "Seconds producers waited in all because Redis was above the queue high-water mark.",
)


@dataclass(frozen=True)
class RedisMemory:
    """One reading of Redis's `INFO memory`: bytes in use, and its `maxmemory` (0: none)."""

    used_bytes: int
    max_bytes: int

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> RedisMemory:
        return cls(int(info["used_memory"]), int(info.get("maxmemory") or 0))


def high_water_bytes(configured_mb: float, memory: RedisMemory) -> int | None:
    """The mark in bytes: the configured one, lowered below a smaller Redis `maxmemory`;
    None when the setting is 0 (producers never wait for Redis's memory)."""
    if configured_mb <= 0:
        return None
    mark = int(configured_mb * MB)
    if memory.max_bytes:
        mark = min(mark, int(memory.max_bytes * MAXMEMORY_SHARE))
    return mark


def describe_high_water(configured_mb: float, memory: RedisMemory) -> str:
    """One line for the operator: Redis's memory, the mark and whether producers wait."""
    used = f"Redis uses {memory.used_bytes / MB:.1f} MB"
    if memory.max_bytes:
        used += f" (maxmemory {memory.max_bytes / MB:.1f} MB)"
    mark = high_water_bytes(configured_mb, memory)
    if mark is None:
        return f"{used}; no high-water mark (SIGNALBOX_QUEUE_HIGH_WATER_MB=0)"
    if memory.used_bytes >= mark:
        return f"{used}; high-water mark {mark / MB:.1f} MB reached: producers wait"
    return f"{used}; high-water mark {mark / MB:.1f} MB: below"


class HighWaterMark:
    """Redis's memory against the mark, read at most every `check_seconds` for all callers.

    Logs one warning when Redis reaches the mark (with the longest queues) and one line when
    it is back below, whatever the number of producers waiting meanwhile.
    """

    def __init__(
        self,
        client: redis.asyncio.Redis,
        namespace: str,
        configured_mb: float,
        queues: Iterable[str] = (),
        *,
        check_seconds: float = HIGH_WATER_CHECK_SECONDS,
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.configured_mb = configured_mb
        # Named in the warning line when they hold the most (delay and dead queues are not).
        self.queues = sorted(q for q in queues if not q.endswith((".DQ", ".XQ")))
        self.check_seconds = check_seconds
        self.memory: RedisMemory | None = None  # the last reading
        self.read_at = float("-inf")  # the event loop's time of the last reading
        self.reading: asyncio.Task[RedisMemory] | None = None
        self.reached = False
        self.reached_since = 0.0  # time.monotonic() when the mark was last reached
        self.holds_since = 0  # producers held back since then

    async def read(self) -> RedisMemory:
        """Redis's memory now, or as read less than `check_seconds` ago (one round trip
        shared by every caller meanwhile)."""
        loop = asyncio.get_running_loop()
        fresh = loop.time() - self.read_at < self.check_seconds
        if self.memory is not None and fresh:
            return self.memory
        if self.reading is None or self.reading.done():
            self.reading = loop.create_task(self.take_reading())
        return await asyncio.shield(self.reading)

    async def take_reading(self) -> RedisMemory:
        memory = RedisMemory.from_info(await self.client.info("memory"))
        self.memory, self.read_at = memory, asyncio.get_running_loop().time()
        mark = high_water_bytes(self.configured_mb, memory)
        reached = mark is not None and memory.used_bytes >= mark
        if reached and not self.reached:
            self.reached, self.reached_since, self.holds_since = True, time.monotonic(), 0
            logger.warning(
                "Redis uses %.1f MB, over the queue high-water mark of %.1f MB "
                "(SIGNALBOX_QUEUE_HIGH_WATER_MB): events and log batches wait until workers "
                "take messages; longest queues: %s",
                memory.used_bytes / MB,
                (mark or 0) / MB,
                await self.longest_queues(),
            )
        elif not reached and self.reached:
            self.reached = False
            logger.info(
                "Redis uses %.1f MB, below the queue high-water mark again: producers go on "
                "(%d held back over %.1f s)",
                memory.used_bytes / MB,
                self.holds_since,
                time.monotonic() - self.reached_since,
            )
        return memory

    async def above(self) -> bool:
        """Whether Redis uses at least the mark's memory (never, with no mark)."""
        if self.configured_mb <= 0:
            return False
        await self.read()
        return self.reached

    async def wait_below(self) -> None:
        """Return at once below the mark; above it, wait until Redis is below again."""
        if not await self.above():
            return
        PRODUCER_HOLDS.inc()
        self.holds_since += 1
        started = time.monotonic()
        try:
            # Polled: Redis does not tell when a worker takes a message.
            while await self.above():
                await asyncio.sleep(self.check_seconds)
        finally:
            PRODUCER_HELD_SECONDS.inc(time.monotonic() - started)

    async def longest_queues(self) -> str:
        """`state 4210, ingest 12`: the queues holding the most ready messages."""
        if not self.queues:
            return "none known"
        pipeline = self.client.pipeline(transaction=False)
        for queue in self.queues:
            pipeline.llen(f"{self.namespace}:{queue}")
        lengths = sorted(zip(await pipeline.execute(), self.queues, strict=True), reverse=True)
        shown = [f"{queue} {length}" for length, queue in lengths[:LONGEST_QUEUES_SHOWN]]
        return ", ".join(shown)
