"""Redis killed while flow runs fail: every state is answered 201, and once Redis is back
each run's notification reaches the webhook receiver exactly once.

The whole server (`signalbox server start`) runs against a Redis of the test's own, so its
supervisor does not restart Redis: the test kills it (kill -9) and starts it again on the same
port with the same AOF.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.integration.notifications.scenario import create_block, create_policy, start_flow_run
from tests.integration.test_outbox import (
    OwnRedis,
    RunningServer,
    client_of,
    outbox_count,
    own_redis,
    server_on_own_redis,
    wait_for,
    webhook_receiver,
)

__all__ = ["own_redis", "server_on_own_redis"]  # the fixtures, used by name

pytestmark = [pytest.mark.faults, pytest.mark.timeout(240)]

#: Flow runs failed while Redis is down, all at once.
RUNS = 10
#: How long the test listens for a second notification after the outbox is empty: the
#: sweep runs every 0.5 s here, so a duplicate would come within a few seconds.
QUIET_SECONDS = 5.0


async def test_runs_failed_while_redis_is_killed_are_each_notified_once_it_is_back(
    server_on_own_redis: RunningServer, own_redis: OwnRedis
) -> None:
    server = server_on_own_redis
    async with client_of(server) as client, webhook_receiver() as receiver:
        api = client
        block = await create_block(
            api,  # type: ignore[arg-type]  # any client with get and post
            "custom-webhook",
            {"name": "hook", "url": f"{receiver.url}/custom"},
        )
        await create_policy(api, block)  # type: ignore[arg-type]
        flow_run_ids = [await start_flow_run(api) for _ in range(RUNS)]  # type: ignore[arg-type]
        assert own_redis.embedded.process is not None
        own_redis.embedded.process.kill()  # kill -9: what Redis acknowledged is in its AOF
        own_redis.embedded.process.wait()

        async def fail(flow_run_id: str) -> int:
            response = await client.post(
                f"/api/flow_runs/{flow_run_id}/set_state",
                json={"state": {"type": "FAILED", "message": "ValueError: boom 7"}},
            )
            await response.read()
            return response.status

        statuses = await asyncio.gather(*(fail(run_id) for run_id in flow_run_ids))
        assert statuses == [201] * RUNS  # each state durable, none a 5xx
        for flow_run_id in flow_run_ids:
            run = await (await client.get(f"/api/flow_runs/{flow_run_id}")).json()
            assert run["state"]["type"] == "FAILED"

        own_redis.start_again()

        def notified_runs() -> list[str]:
            return [request.json()["flow_run_id"] for request in receiver.requests_to("/custom")]

        async def all_notified() -> bool:
            return len(notified_runs()) >= RUNS

        await wait_for(all_notified, "a notification for each failed run", seconds=60)

        async def emptied() -> bool:
            return outbox_count(server.database_url) == 0

        await wait_for(emptied, "the outbox to be empty")
        quiet_until = time.monotonic() + QUIET_SECONDS
        while time.monotonic() < quiet_until:  # a bounded listen for duplicates
            assert len(notified_runs()) == RUNS
            await asyncio.sleep(0.5)
        assert sorted(notified_runs()) == sorted(flow_run_ids)
