"""The queue high-water mark: producers wait only while Redis uses more memory than the mark,
the operator is told once when it is reached and once when it is left, and nothing is lost."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from uuid import uuid4

import dramatiq
import pytest
import redis
from aiohttp.test_utils import TestClient
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from actors.high_water import MB, HighWaterMark, RedisMemory, high_water_bytes
from api import keys
from api.app import create_app
from cli.main import signalbox
from migrations.commands import head_revision
from models.db.database import Database
from models.messages.log_batches import number_log_records
from models.runs.logs import Log
from models.schemas.logs import read_log_batch
from models.settings import Settings
from tests.integration.test_logs_api import log_record, until
from tests.running import Drain

#: Megabytes above what Redis uses when the test starts: a mark a few log batches pass.
MARK_ABOVE_MB = 4
#: Each filling batch: 20 records of 10 kB, about 200 kB on Redis (small sends: Redis counts
#: a big command's input buffer in its memory for a while after it).
FILL_RECORDS, FILL_CHARS = 20, 10_000


def metric_value(text: str, name: str) -> float:
    """The value of the one sample named `name` in a Prometheus exposition."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return float(sample.value)
    raise AssertionError(f"{name} is not in /metrics")


async def until_async(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


def told(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the high-water mark told the operator."""
    return [record for record in caplog.records if record.name == "actors.high_water"]


def queue_stats(settings: Settings) -> str:
    env = {
        "SIGNALBOX_DATABASE_URL": settings.database_url,
        "SIGNALBOX_HOME": str(settings.home),
        "SIGNALBOX_REDIS_URL": settings.redis_url or "",
        "SIGNALBOX_QUEUE_HIGH_WATER_MB": str(settings.queue_high_water_mb),
    }
    result = CliRunner().invoke(signalbox, ["queue", "stats"], env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_a_producer_waits_above_the_mark_only_and_nothing_is_lost(
    settings: Settings,
    database: Database,
    workers: dramatiq.Worker,
    drain: Drain,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="actors.high_water")
    redis_client = redis.Redis.from_url(settings.redis_url or "")
    workers.pause()  # nothing takes the log batches: they wait in Redis
    used = int(redis_client.info("memory")["used_memory"])
    settings = settings.model_copy(update={"queue_high_water_mb": used / MB + MARK_ABOVE_MB})
    api = await aiohttp_client(create_app(settings, schema_head=head_revision(settings)))
    high_water = api.app[keys.high_water]
    flow_run_id = str(uuid4())

    # Below the mark every batch is accepted at once, backlog or not.
    def batch() -> list[dict]:
        return [log_record("x" * FILL_CHARS, flow_run_id) for _ in range(FILL_RECORDS)]

    for _ in range(3):
        response = await asyncio.wait_for(api.post("/api/logs/", json=batch()), timeout=30)
        assert response.status == 201
    # Then queued messages fill Redis a megabyte past the mark (the way the API queues them,
    # without asking for room), so that it stays above until workers take messages.
    posted, logs = 3, api.app[keys.outbox].logs
    while int(redis_client.info("memory")["used_memory"]) < used + (MARK_ABOVE_MB + 1) * MB:
        assert posted < 20 * MARK_ABOVE_MB, "the batches did not fill Redis"
        await logs.add(number_log_records(read_log_batch(json.dumps(batch()).encode())))
        posted += 1
    await until_async(high_water.above, "the API to read Redis above the mark")
    metrics = await (await api.get("/metrics")).text()
    holds_before = metric_value(metrics, "signalbox_producer_holds_total")

    # Above it the next batch waits.
    held = asyncio.create_task(api.post("/api/logs/", json=[log_record("held", flow_run_id)]))
    await until(lambda: high_water.holds_since >= 1, "the batch to be held back")
    assert not held.done()
    metrics = await (await api.get("/metrics")).text()
    assert metric_value(metrics, "signalbox_queue_high_water_reached") == 1
    assert metric_value(metrics, "signalbox_producer_holds_total") == holds_before + 1
    mark = metric_value(metrics, "signalbox_queue_high_water_bytes")
    assert metric_value(metrics, "signalbox_redis_used_memory_bytes") >= mark
    assert "reached: producers wait" in await asyncio.to_thread(queue_stats, settings)
    [warning] = told(caplog)
    assert "over the queue high-water mark" in warning.getMessage()
    assert f"ingest {posted}" in warning.getMessage()  # the queue that holds the most

    # Workers take the backlog: Redis falls below the mark and the batch goes on.
    workers.resume()
    response = await asyncio.wait_for(held, timeout=120)
    assert response.status == 201
    await drain()
    async with database.sessions.begin() as session:
        stored = await session.scalar(select(func.count()).select_from(Log))
    assert stored == posted * FILL_RECORDS + 1
    [_, below] = told(caplog)  # one line each way, however many producers waited
    assert below.levelno == logging.INFO
    assert "below the queue high-water mark again" in below.getMessage()
    metrics = await (await api.get("/metrics")).text()
    assert metric_value(metrics, "signalbox_queue_high_water_reached") == 0
    assert metric_value(metrics, "signalbox_producer_held_seconds_total") > 0
    assert "MB: below" in await asyncio.to_thread(queue_stats, settings)


async def test_every_producer_shares_one_reading_of_redis_memory(settings: Settings) -> None:
    client = redis.asyncio.Redis.from_url(settings.redis_url or "")
    calls = 0
    info = client.info

    async def counted_info(section: str) -> dict:
        nonlocal calls
        calls += 1
        return await info(section)

    client.info = counted_info  # type: ignore[method-assign]
    high_water = HighWaterMark(client, "signalbox", 256, check_seconds=600)
    try:
        await asyncio.gather(*(high_water.wait_below() for _ in range(50)))
        await high_water.wait_below()
    finally:
        await client.aclose()
    assert calls == 1


def test_a_smaller_redis_maxmemory_lowers_the_mark_and_zero_turns_it_off() -> None:
    assert high_water_bytes(256, RedisMemory(used_bytes=0, max_bytes=0)) == 256 * MB
    assert high_water_bytes(256, RedisMemory(used_bytes=0, max_bytes=100 * MB)) == 90 * MB
    assert high_water_bytes(0, RedisMemory(used_bytes=0, max_bytes=100 * MB)) is None
