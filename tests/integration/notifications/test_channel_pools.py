"""Channel worker pools as they run in production, each its own process (`signalbox worker
--pool notify.<channel>`, or `notify_<channel>` as the Procfile spells it): a slow channel
never delays another, and a pool killed mid-delivery loses nothing."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

import actors.broker
from actors.broker import broker
from models.db.database import Database
from models.messages.dead_letters import DeadLetter
from models.notifications.deliveries import DeliveryLease
from models.settings import Settings
from tests.integration.notifications.harness import running_workers
from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    fail_flow_run,
)
from tests.running import CORE_QUEUES

REPOSITORY = Path(__file__).parents[3]
#: Seconds a pool process has to start consuming.
START_SECONDS = 60.0


@pytest.fixture
def workers(
    database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dramatiq.Worker]:
    """In-process workers on the core queues only: the channel queues are the pools'."""
    with running_workers(settings, monkeypatch, CORE_QUEUES) as worker:
        yield worker


class Pool:
    """One `signalbox worker --pool <name>` process, started by this test and ended by it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.log: list[str] = []
        self.reader: asyncio.Task[None] | None = None

    async def start(self) -> Pool:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "cli", "worker", "--pool", self.name,
            cwd=REPOSITORY, env=dict(os.environ),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        ready = asyncio.get_running_loop().create_future()
        self.reader = asyncio.create_task(self.read_log(ready))
        await asyncio.wait_for(ready, START_SECONDS)
        return self

    async def read_log(self, ready: asyncio.Future[None]) -> None:
        assert self.process is not None and self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode(errors="replace"))
            if "Consuming" in self.log[-1] and not ready.done():
                ready.set_result(None)
        if not ready.done():
            ready.set_exception(RuntimeError("".join(self.log)[-3000:]))

    def kill(self) -> None:
        """SIGKILL: whatever the pool held was never acknowledged."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()

    async def stop(self) -> None:
        self.kill()
        if self.process is not None:
            await self.process.wait()
        if self.reader is not None:
            await self.reader


@pytest.fixture
async def pools() -> AsyncIterator[Callable[[str], Awaitable[Pool]]]:
    started: list[Pool] = []

    async def start(name: str) -> Pool:
        started.append(Pool(name))
        return await started[-1].start()

    try:
        yield start
    finally:
        for pool in started:
            await pool.stop()


async def wait_for(check: Callable[[], Awaitable[Any]], what: str, seconds: float) -> Any:
    """Poll `check` until it returns something true, or fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (found := await check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}")
        await asyncio.sleep(0.05)  # polling interval, bounded by the deadline
    return found


async def test_a_channel_answering_in_5_seconds_does_not_delay_another_channel(
    api: TestClient,
    receiver: Receiver,
    pools: Callable[[str], Awaitable[Pool]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Idle consumers poll Redis every 100 ms rather than Dramatiq's 1 s (docs/performance.md).
    monkeypatch.setenv("dramatiq_worker_timeout", "100")
    await asyncio.gather(pools("notify_slack"), pools("notify_discord"))
    receiver.script("/services/", Reply(200, "ok", delay_seconds=5))
    slack = await create_block(api, "slack-webhook", {"url": f"{receiver.url}/services/T/B/C"})
    discord = await create_block(
        api, "discord-webhook", {"webhook_id": "1", "webhook_token": "discord-token-12345"}
    )
    await create_policy(api, slack, tags=["slow"])
    await create_policy(api, discord, tags=["fast"])
    slow_run = await fail_flow_run(api, tags=["slow"])

    async def slack_answering() -> bool:
        return len(receiver.requests_to("/services/")) == 1

    await wait_for(slack_answering, "Slack's request", seconds=10)
    # Slack's pool is now busy for 5 s; Discord's delivery comes after it.
    failed_at = time.monotonic()
    fast_run = await fail_flow_run(api, tags=["fast"])

    async def discord_delivered() -> bool:
        deliveries = await deliveries_of(api, fast_run)  # none until the state is evaluated
        return [delivery["status"] for delivery in deliveries] == ["delivered"]

    await wait_for(discord_delivered, "the Discord delivery", seconds=5)
    assert time.monotonic() - failed_at < 1.5
    [slow] = await deliveries_of(api, slow_run)
    assert slow["status"] == "pending"  # Slack is still answering: Discord did not wait


async def test_a_pool_killed_mid_delivery_loses_nothing_and_the_record_ends_right(
    api: TestClient,
    receiver: Receiver,
    database: Database,
    pools: Callable[[str], Awaitable[Pool]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The dead pool's messages come back once its heartbeat is older than this and the next
    # maintenance runs; production waits 15 s, this test 3 s (its own polling runs it).
    monkeypatch.setattr(broker, "heartbeat_timeout", 3_000)
    monkeypatch.setattr(actors.broker, "MAINTENANCE_INTERVAL_SECONDS", 0.2)
    first = await pools("notify_webhook")
    receiver.script("/custom", Reply(hang=True))
    block = await create_block(
        api, "custom-webhook", {"name": "hook", "url": f"{receiver.url}/custom"}
    )
    await create_policy(api, block)
    flow_run_id = await fail_flow_run(api)

    async def arrived() -> bool:
        return len(receiver.requests_to("/custom")) >= 1

    await wait_for(arrived, "the first request", seconds=10)
    first.kill()  # mid-request: nothing was recorded, nothing acknowledged
    await pools("notify.webhook")  # the same pool, by its other spelling

    async def delivered() -> dict[str, Any] | None:
        broker.do_qsize("notify.webhook")  # a command of ours runs the maintenance
        [delivery] = await deliveries_of(api, flow_run_id)
        return delivery if delivery["status"] == "delivered" else None

    delivery = await wait_for(delivered, "the redelivered message", seconds=30)
    first_try, second_try = receiver.requests_to("/custom")
    assert first_try.header("webhook-id") == second_try.header("webhook-id") == delivery["id"]
    assert [(a["number"], a["outcome"], a["error_class"]) for a in delivery["attempts"]] == [
        (1, "transient", "AttemptInterrupted"),
        (2, "delivered", None),
    ]
    assert delivery["attempt_count"] == 2
    async with database.read_sessions() as session:
        assert list(await session.scalars(select(DeliveryLease))) == []
        assert list(await session.scalars(select(DeadLetter))) == []
