"""What a polling Prefect worker gets: due runs by queue priority, nothing from a paused
pool or queue, no more than the pool's and queues' free slots; and what a poll records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import insert, select

from models.coordination.deployments import Deployment
from models.db.database import Database
from tests.integration.work_pool_runs import (
    create_pool,
    create_queue,
    poll,
    read_queue,
    run_ids,
    scheduled_run,
)


async def test_due_runs_come_by_queue_priority_then_soonest_first(
    api: TestClient, database: Database
) -> None:
    pool = await create_pool(api, "p1")
    default = await read_queue(api, "p1", "default")
    urgent = await create_queue(api, "p1", "urgent", priority=1)
    assert (await read_queue(api, "p1", "default"))["priority"] == 2
    later = await scheduled_run(api, database, default, -5)
    sooner = await scheduled_run(api, database, default, -50)
    first = await scheduled_run(api, database, urgent, -1)
    future = await scheduled_run(api, database, urgent, 3600)

    answer = await poll(api, "p1")
    assert run_ids(answer) == [first, sooner, later]
    assert future not in run_ids(answer)
    assert answer[0]["work_pool_id"] == pool["id"]
    assert answer[0]["work_queue_id"] == urgent["id"]
    flow_run = answer[0]["flow_run"]
    assert (flow_run["state"]["type"], flow_run["work_queue_name"]) == ("SCHEDULED", "urgent")

    assert run_ids(await poll(api, "p1", limit=2)) == [first, sooner]
    assert run_ids(await poll(api, "p1", work_queue_names=["default"])) == [sooner, later]
    everything = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert future in run_ids(await poll(api, "p1", scheduled_before=everything))
    # As the client sends it: a space between date and time.
    spaced = (datetime.now(UTC) + timedelta(seconds=10)).isoformat(sep=" ")
    assert len(await poll(api, "p1", scheduled_before=spaced)) == 3


async def test_a_paused_pool_or_queue_hands_out_nothing(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1")
    default = await read_queue(api, "p1", "default")
    other = await create_queue(api, "p1", "other")
    in_default = await scheduled_run(api, database, default)
    in_other = await scheduled_run(api, database, other)

    await api.patch("/api/work_pools/p1/queues/other", json={"is_paused": True})
    assert (await read_queue(api, "p1", "other"))["status"] == "PAUSED"
    assert run_ids(await poll(api, "p1")) == [in_default]
    await api.patch("/api/work_pools/p1", json={"is_paused": True})
    assert await poll(api, "p1") == []
    await api.patch("/api/work_pools/p1", json={"is_paused": False})
    await api.patch("/api/work_pools/p1/queues/other", json={"is_paused": False})
    assert sorted(run_ids(await poll(api, "p1"))) == sorted([in_default, in_other])


async def test_pool_and_queue_limits_count_pending_and_running_runs(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1", concurrency_limit=3)
    default = await read_queue(api, "p1", "default")
    limited = await create_queue(api, "p1", "limited", concurrency_limit=1, priority=1)
    await scheduled_run(api, database, limited, state="RUNNING")
    waiting_in_limited = await scheduled_run(api, database, limited)
    in_default = [await scheduled_run(api, database, default, -10 + i) for i in range(4)]

    # The limited queue's one slot is taken; the pool has 3 - 1 = 2 free.
    assert run_ids(await poll(api, "p1")) == in_default[:2]
    assert (await read_queue(api, "p1", "limited"))["active_slots"] == 1
    pool = await (await api.get("/api/work_pools/p1")).json()
    assert pool["active_slots"] == 1

    await scheduled_run(api, database, default, state="PENDING")
    await scheduled_run(api, database, default, state="CANCELLING")  # not counted here
    assert run_ids(await poll(api, "p1")) == in_default[:1]
    await api.patch("/api/work_pools/p1", json={"concurrency_limit": None})
    await api.patch("/api/work_pools/p1/queues/limited", json={"concurrency_limit": 2})
    assert run_ids(await poll(api, "p1")) == [waiting_in_limited, *in_default]


async def test_two_pollers_get_the_same_run_and_only_the_first_submission_goes_through(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1")
    run = await scheduled_run(api, database, await read_queue(api, "p1", "default"))
    assert run_ids(await poll(api, "p1")) == run_ids(await poll(api, "p1")) == [run]

    async def submit() -> str:
        response = await api.post(
            f"/api/flow_runs/{run}/set_state", json={"state": {"type": "PENDING"}}
        )
        assert response.status == 201
        return str((await response.json())["status"])

    assert [await submit(), await submit()] == ["ACCEPT", "ABORT"]
    assert await poll(api, "p1") == []


async def test_a_poll_makes_the_queues_ready(api: TestClient, database: Database) -> None:
    await create_pool(api, "p1")
    await create_queue(api, "p1", "other")
    assert (await read_queue(api, "p1", "default"))["status"] == "NOT_READY"
    await poll(api, "p1", work_queue_names=["default"])
    default = await read_queue(api, "p1", "default")
    assert default["status"] == "READY" and default["last_polled"] is not None
    other = await read_queue(api, "p1", "other")
    assert (other["status"], other["last_polled"]) == ("NOT_READY", None)


async def test_unknown_queues_and_bad_bodies_are_refused(api: TestClient) -> None:
    await create_pool(api, "p1")
    response = await api.post(
        "/api/work_pools/p1/get_scheduled_flow_runs", json={"work_queue_names": ["nope"]}
    )
    assert response.status == 404
    assert await response.json() == {"detail": "Work pool queue 'p1/nope' not found."}
    for body in ({"limit": -1}, {"limit": 201}, {"scheduled_before": "soon"}):
        response = await api.post("/api/work_pools/p1/get_scheduled_flow_runs", json=body)
        assert response.status == 422, body
        assert "detail" in await response.json()
    assert (await read_queue(api, "p1", "default"))["last_polled"] is None


async def test_a_poll_makes_the_queues_deployments_ready_without_touching_updated(
    api: TestClient, database: Database
) -> None:
    await create_pool(api, "p1")
    queue = await read_queue(api, "p1", "default")
    flow = await (await api.post("/api/flows/", json={"name": "f"})).json()
    deployment_id = uuid4()
    async with database.sessions.begin() as session:
        await session.execute(
            insert(Deployment).values(
                id=deployment_id,
                name="d",
                flow_id=UUID(flow["id"]),
                work_queue_id=UUID(queue["id"]),
            )
        )
    async with database.read_sessions() as session:
        before = (
            await session.execute(select(Deployment).where(Deployment.id == deployment_id))
        ).scalar_one()
    assert (before.status, before.last_polled) == ("NOT_READY", None)
    await poll(api, "p1")
    async with database.read_sessions() as session:
        after = (
            await session.execute(select(Deployment).where(Deployment.id == deployment_id))
        ).scalar_one()
    assert after.status == "READY" and after.last_polled is not None
    assert after.updated == before.updated
