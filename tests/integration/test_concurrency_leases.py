"""Leases: renewed, released, expired, freed by a finished task run; and many acquirers at once."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from actors.counters import expire_concurrency_leases
from actors.persistence import record_task_run_events
from models.concurrency.tables import ConcurrencyLease, ConcurrencyLeaseLimit, ConcurrencyLimit
from models.db.database import Database
from models.db.types import utcnow
from tests.integration.events import task_run_event
from tests.integration.test_concurrency_limits_api import create_limit, read_limit
from tests.running import Drain


async def acquire(
    api: TestClient, name: str, slots: int = 1, **fields: Any
) -> tuple[int, dict[str, Any]]:
    response = await api.post(
        "/api/v2/concurrency_limits/increment-with-lease",
        json={"names": [name], "slots": slots, "mode": "concurrency", **fields},
    )
    body = await response.json()
    return response.status, body


async def release(api: TestClient, lease_id: str) -> None:
    response = await api.post(
        "/api/v2/concurrency_limits/decrement-with-lease", json={"lease_id": lease_id}
    )
    assert response.status == 204


async def lease_count(database: Database) -> int:
    async with database.read_sessions() as session:
        return int(await session.scalar(select(func.count(ConcurrencyLease.id))) or 0)


async def expire(database: Database, lease_id: str) -> None:
    """As if the lease's holder had stopped renewing long ago."""
    async with database.sessions.begin() as session:
        await session.execute(
            update(ConcurrencyLease)
            .where(ConcurrencyLease.id == UUID(lease_id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )


async def test_a_lease_is_renewed_then_released_and_its_slots_come_back(
    api: TestClient, database: Database
) -> None:
    limit = await create_limit(api, "leased", 3)
    status, lease = await acquire(api, "leased", 2, lease_duration=60)
    assert status == 200
    assert lease["limits"] == [{"id": limit["id"], "name": "leased", "limit": 3}]
    assert (await read_limit(api, "leased"))["active_slots"] == 2

    renewed = await api.post(
        f"/api/v2/concurrency_limits/leases/{lease['lease_id']}/renew", json={"lease_duration": 60}
    )
    assert renewed.status == 204
    await release(api, lease["lease_id"])
    assert (await read_limit(api, "leased"))["active_slots"] == 0
    assert await lease_count(database) == 0

    await release(api, lease["lease_id"])  # a second release gives nothing back twice
    assert (await read_limit(api, "leased"))["active_slots"] == 0
    gone = await api.post(
        f"/api/v2/concurrency_limits/leases/{lease['lease_id']}/renew", json={"lease_duration": 60}
    )
    assert gone.status == 410
    assert await gone.json() == {"detail": "Lease not found - it may have expired or been revoked"}
    unknown = await api.post(f"/api/v2/concurrency_limits/leases/{uuid4()}/renew", json={})
    assert unknown.status == 410


async def test_an_expired_lease_is_swept_and_its_slots_come_back(
    api: TestClient, database: Database, drain: Drain
) -> None:
    await create_limit(api, "swept", 2)
    _, dead = await acquire(api, "swept", lease_duration=60)
    _, alive = await acquire(api, "swept", lease_duration=60)
    await expire(database, dead["lease_id"])
    assert (await acquire(api, "swept"))[0] == 423  # the dead holder still counts...

    expire_concurrency_leases.send()
    await drain()
    # ...until the sweep: its slot is back, the live holder keeps its own.
    assert (await read_limit(api, "swept"))["active_slots"] == 1
    assert await lease_count(database) == 1
    renew = await api.post(f"/api/v2/concurrency_limits/leases/{dead['lease_id']}/renew", json={})
    assert renew.status == 410
    await release(api, dead["lease_id"])  # too late: nothing is given back twice
    assert (await read_limit(api, "swept"))["active_slots"] == 1
    await release(api, alive["lease_id"])
    assert (await read_limit(api, "swept"))["active_slots"] == 0


async def test_reading_a_limit_that_counts_an_expired_lease_sends_the_sweep(
    api: TestClient, database: Database, drain: Drain
) -> None:
    await create_limit(api, "looked-at", 1)
    _, lease = await acquire(api, "looked-at")
    await expire(database, lease["lease_id"])

    assert (await read_limit(api, "looked-at"))["active_slots"] == 1  # read, and sweep sent
    await drain()
    assert (await read_limit(api, "looked-at"))["active_slots"] == 0
    assert (await acquire(api, "looked-at"))[0] == 200


async def test_a_task_run_that_finishes_gives_back_the_slots_it_still_holds(
    api: TestClient, drain: Drain
) -> None:
    await create_limit(api, "tag:etl", 2)
    finished, running, flow_run = str(uuid4()), str(uuid4()), str(uuid4())
    for task_run in (finished, running):
        status, _ = await acquire(
            api, "tag:etl", lease_duration=60, holder={"type": "task_run", "id": task_run}
        )
        assert status == 200
    assert (await read_limit(api, "tag:etl"))["active_slots"] == 2

    record_task_run_events.send(
        [
            task_run_event(finished, flow_run, "RUNNING", "Running", seconds=1),
            task_run_event(finished, flow_run, "COMPLETED", "Completed", seconds=2),
            task_run_event(running, flow_run, "RUNNING", "Running", seconds=1),
        ]
    )
    await drain()
    assert (await read_limit(api, "tag:etl"))["active_slots"] == 1
    holders = await (await api.get("/api/concurrency_limits/tag/etl")).json()
    assert holders["active_slots"] == [running]


async def test_fifty_concurrent_acquirers_never_hold_more_than_a_limit_of_three(
    api: TestClient, database: Database
) -> None:
    limit = await create_limit(api, "narrow", 3)
    limit_id = UUID(limit["id"])
    acquirers = 50
    releases = 0
    released = asyncio.Condition()
    sampled = asyncio.Condition()
    samples: list[tuple[int, int]] = []
    done = asyncio.Event()

    async def sample() -> None:
        """Read the server's own records, in one statement: one snapshot on both databases."""
        held = (
            select(func.count())
            .select_from(ConcurrencyLeaseLimit)
            .where(ConcurrencyLeaseLimit.limit_id == limit_id)
            .scalar_subquery()
        )
        while not done.is_set():
            async with database.read_sessions() as session:
                row = (
                    await session.execute(
                        select(ConcurrencyLimit.active_slots, held).where(
                            ConcurrencyLimit.id == limit_id
                        )
                    )
                ).one()
            async with sampled:
                samples.append((row[0], row[1]))
                sampled.notify_all()

    async def hold_once() -> None:
        nonlocal releases
        while True:
            seen = releases
            status, lease = await acquire(api, "narrow", lease_duration=60)
            if status == 200:
                break
            assert status == 423, lease
            async with released:  # come back when someone has let go, not on a timer
                await released.wait_for(lambda seen=seen: releases > seen)
        async with sampled:  # hold until a snapshot taken while holding has been read
            target = len(samples) + 1
            await sampled.wait_for(lambda: len(samples) > target)
        await release(api, lease["lease_id"])
        async with released:
            releases += 1
            released.notify_all()

    sampler = asyncio.create_task(sample())
    try:
        await asyncio.gather(*(hold_once() for _ in range(acquirers)))
    finally:
        done.set()
        await sampler

    assert releases == acquirers
    assert max(active for active, _ in samples) == 3  # the limit was reached...
    assert all(active <= 3 and leases <= 3 for active, leases in samples)  # ...never passed
    assert (await read_limit(api, "narrow"))["active_slots"] == 0
    assert await lease_count(database) == 0
