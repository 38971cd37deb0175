"""The foreman: silent Prefect workers go OFFLINE and their pool NOT_READY; queues and
deployments nobody polls go NOT_READY."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import insert, select, update

from actors.services import watch_worker_health
from models.coordination.deployments import Deployment
from models.coordination.work_pools import Worker, WorkQueue
from models.db.database import Database
from models.db.types import utcnow
from tests.integration.work_pool_runs import create_pool, poll, read_queue
from tests.running import Drain


async def heartbeat(api: TestClient, pool: str, name: str, interval: int | None = None) -> None:
    body = {"name": name, "heartbeat_interval_seconds": interval}
    response = await api.post(f"/api/work_pools/{pool}/workers/heartbeat", json=body)
    assert response.status == 204


async def age_heartbeat(database: Database, name: str, seconds: float) -> None:
    async with database.sessions.begin() as session:
        await session.execute(
            update(Worker)
            .where(Worker.name == name)
            .values(last_heartbeat_time=utcnow() - timedelta(seconds=seconds))
        )


async def run_foreman(drain: Drain) -> None:
    watch_worker_health.send()
    await drain()


async def worker_statuses(api: TestClient, pool: str) -> dict[str, str]:
    workers = await (await api.post(f"/api/work_pools/{pool}/workers/filter", json={})).json()
    return {worker["name"]: worker["status"] for worker in workers}


async def test_a_silent_worker_goes_offline_and_its_pool_not_ready(
    api: TestClient, database: Database, drain: Drain
) -> None:
    await create_pool(api, "p1")
    await create_pool(api, "p2")
    await heartbeat(api, "p1", "silent", interval=10)
    await heartbeat(api, "p2", "alive", interval=10)
    await heartbeat(api, "p2", "also-silent")  # no interval: 30 s assumed
    await age_heartbeat(database, "silent", 31)  # more than 3 x 10 s
    await age_heartbeat(database, "also-silent", 80)  # less than 3 x 30 s

    await run_foreman(drain)

    assert await worker_statuses(api, "p1") == {"silent": "OFFLINE"}
    assert await worker_statuses(api, "p2") == {"alive": "ONLINE", "also-silent": "ONLINE"}
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "NOT_READY"
    assert (await (await api.get("/api/work_pools/p2")).json())["status"] == "READY"

    # Back again: ONLINE, and its pool READY.
    await heartbeat(api, "p1", "silent", interval=10)
    assert await worker_statuses(api, "p1") == {"silent": "ONLINE"}
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "READY"


async def test_a_paused_pool_stays_paused_when_its_workers_go_offline(
    api: TestClient, database: Database, drain: Drain
) -> None:
    await create_pool(api, "p1")
    await heartbeat(api, "p1", "w1", interval=5)
    await api.patch("/api/work_pools/p1", json={"is_paused": True})
    await age_heartbeat(database, "w1", 60)
    await run_foreman(drain)
    assert await worker_statuses(api, "p1") == {"w1": "OFFLINE"}
    assert (await (await api.get("/api/work_pools/p1")).json())["status"] == "PAUSED"


async def test_queues_and_deployments_nobody_polls_go_not_ready(
    api: TestClient, database: Database, drain: Drain
) -> None:
    await create_pool(api, "p1")
    await poll(api, "p1")
    queue = await read_queue(api, "p1", "default")
    flow = await (await api.post("/api/flows/", json={"name": "f"})).json()
    recent, stale = uuid4(), uuid4()
    long_ago = utcnow() - timedelta(seconds=120)
    async with database.sessions.begin() as session:
        for deployment_id, name in ((recent, "recent"), (stale, "stale")):
            await session.execute(
                insert(Deployment).values(
                    id=deployment_id,
                    name=name,
                    flow_id=UUID(flow["id"]),
                    status="READY",
                    last_polled=long_ago,
                    work_queue_id=UUID(queue["id"]) if name == "recent" else None,
                )
            )
    await run_foreman(drain)
    # The queue was polled just now: it and the deployment that runs from it stay READY.
    assert (await read_queue(api, "p1", "default"))["status"] == "READY"
    async with database.read_sessions() as session:
        statuses = dict(
            (row.id, row.status)
            for row in await session.execute(select(Deployment.id, Deployment.status))
        )
    assert statuses == {recent: "READY", stale: "NOT_READY"}

    async with database.sessions.begin() as session:
        await session.execute(
            update(WorkQueue).where(WorkQueue.id == UUID(queue["id"])).values(last_polled=long_ago)
        )
    await run_foreman(drain)
    assert (await read_queue(api, "p1", "default"))["status"] == "NOT_READY"
    async with database.read_sessions() as session:
        assert await session.scalar(select(Deployment.status).where(Deployment.id == recent)) == (
            "NOT_READY"
        )
