"""Deployment concurrency limits through set_state: ENQUEUE, CANCEL_NEW, releases, races.

The deployment and its `deployment:{id}` limit are written straight into the database, as
the deployments API will write them; the flow runs go through the real API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import dramatiq
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from actors.counters import expire_concurrency_leases
from api.app import create_app
from models.concurrency.tables import ConcurrencyLease, ConcurrencyLimit
from models.coordination.deployments import Deployment
from models.db.database import Database
from models.db.types import utcnow
from models.runs.flow_runs import FlowRun
from models.settings import Settings
from tests.running import Drain

LEASE_KEY = "deployment_concurrency_lease_id"


async def deployment_with_runs(
    api: TestClient,
    database: Database,
    runs: int,
    limit: int | None = 1,
    strategy: str | None = "ENQUEUE",
) -> tuple[UUID, list[str]]:
    """A deployment with a concurrency limit of `limit` (None: none), and SCHEDULED runs of it."""
    flow = await (await api.post("/api/flows/", json={"name": f"flow-{uuid4().hex[:8]}"})).json()
    deployment_id = uuid4()
    async with database.sessions.begin() as session:
        limit_id = None
        if limit is not None:
            limit_id = uuid4()
            name = f"deployment:{deployment_id}"
            session.add(ConcurrencyLimit(id=limit_id, name=name, limit=limit))
            await session.flush()
        session.add(
            Deployment(
                id=deployment_id,
                name=f"deployment-{uuid4().hex[:8]}",
                flow_id=UUID(flow["id"]),
                concurrency_limit_id=limit_id,
                concurrency_options=strategy and {"collision_strategy": strategy},
            )
        )
    body = {
        "flow_id": flow["id"],
        "deployment_id": str(deployment_id),
        "state": {"type": "SCHEDULED", "state_details": {"scheduled_time": utcnow().isoformat()}},
    }
    run_ids = []
    for _ in range(runs):
        response = await api.post("/api/flow_runs/", json=body)
        assert response.status == 201, await response.text()
        run_ids.append(str((await response.json())["id"]))
    return deployment_id, run_ids


async def propose(
    api: TestClient, run_id: str, state_type: str, name: str | None = None, force: bool = False
) -> dict[str, Any]:
    body = {"state": {"type": state_type, "name": name}, "force": force}
    response = await api.post(f"/api/flow_runs/{run_id}/set_state", json=body)
    assert response.status == 201, await response.text()
    return await response.json()


async def active_slots(database: Database, deployment_id: UUID) -> int:
    async with database.read_sessions() as session:
        slots = await session.scalar(
            select(ConcurrencyLimit.active_slots).where(
                ConcurrencyLimit.name == f"deployment:{deployment_id}"
            )
        )
    assert slots is not None
    return int(slots)


async def leases(database: Database) -> list[ConcurrencyLease]:
    async with database.read_sessions() as session:
        return list(await session.scalars(select(ConcurrencyLease)))


async def current_state(api: TestClient, run_id: str) -> dict[str, Any]:
    run = await (await api.get(f"/api/flow_runs/{run_id}")).json()
    return dict(run["state"])


async def test_enqueue_sends_the_second_run_back_to_wait_until_the_first_finishes(
    api: TestClient, database: Database
) -> None:
    deployment_id, (first, second) = await deployment_with_runs(api, database, 2)

    accepted = await propose(api, first, "PENDING")
    assert accepted["status"] == "ACCEPT"
    lease_id = accepted["state"]["state_details"][LEASE_KEY]
    assert lease_id is not None
    [lease] = await leases(database)
    assert (str(lease.id), lease.holder) == (lease_id, {"type": "flow_run", "id": first})
    assert await active_slots(database, deployment_id) == 1

    asked = utcnow()
    refused = await propose(api, second, "PENDING")
    assert refused["status"] == "REJECT"
    assert refused["details"]["reason"] == "Deployment concurrency limit reached."
    assert (refused["state"]["type"], refused["state"]["name"]) == (
        "SCHEDULED",
        "AwaitingConcurrencySlot",
    )
    wait = datetime.fromisoformat(refused["state"]["state_details"]["scheduled_time"]) - asked
    assert timedelta(seconds=25) < wait < timedelta(seconds=35)
    assert (await current_state(api, second))["name"] == "AwaitingConcurrencySlot"
    assert await active_slots(database, deployment_id) == 1

    running = await propose(api, first, "RUNNING")
    assert running["status"] == "ACCEPT"
    assert running["state"]["state_details"][LEASE_KEY] == lease_id  # carried on
    completed = await propose(api, first, "COMPLETED")
    assert completed["state"]["state_details"][LEASE_KEY] is None
    assert await active_slots(database, deployment_id) == 0
    assert await leases(database) == []

    again = await propose(api, second, "PENDING")
    assert again["status"] == "ACCEPT"
    assert again["state"]["state_details"][LEASE_KEY] not in (None, lease_id)
    assert await active_slots(database, deployment_id) == 1


async def test_the_wait_before_a_refused_run_is_offered_again_is_a_setting(
    settings: Settings,
    database: Database,
    workers: dramatiq.Worker,
    aiohttp_client: Callable[..., Awaitable[TestClient]],
) -> None:
    quick = settings.model_copy(update={"deployment_concurrency_slot_wait_seconds": 2.0})
    api = await aiohttp_client(create_app(quick))
    _, (first, second) = await deployment_with_runs(api, database, 2)
    assert (await propose(api, first, "PENDING"))["status"] == "ACCEPT"

    asked = utcnow()
    refused = await propose(api, second, "PENDING")
    assert refused["state"]["name"] == "AwaitingConcurrencySlot"
    wait = datetime.fromisoformat(refused["state"]["state_details"]["scheduled_time"]) - asked
    assert timedelta(seconds=1) < wait < timedelta(seconds=5)


async def test_cancel_new_cancels_the_run_that_finds_no_slot(
    api: TestClient, database: Database
) -> None:
    deployment_id, (first, second) = await deployment_with_runs(
        api, database, 2, strategy="CANCEL_NEW"
    )
    assert (await propose(api, first, "PENDING"))["status"] == "ACCEPT"

    refused = await propose(api, second, "PENDING")
    assert refused["status"] == "REJECT"
    assert (refused["state"]["type"], refused["state"]["message"]) == (
        "CANCELLED",
        "Deployment concurrency limit reached.",
    )
    assert (await current_state(api, second))["type"] == "CANCELLED"
    assert await active_slots(database, deployment_id) == 1
    assert len(await leases(database)) == 1


@pytest.mark.parametrize(
    ("path", "force"),
    [
        (["RUNNING", "COMPLETED"], False),
        (["RUNNING", "FAILED"], False),
        (["RUNNING", "CRASHED"], False),
        (["RUNNING", "CANCELLED"], False),
        (["RUNNING", "CANCELLING", "CANCELLED"], True),  # a Prefect worker's forced CANCELLED
        (["CANCELLED"], False),
        (["SCHEDULED"], False),  # back to SCHEDULED: offered again later, with a new slot
    ],
)
async def test_a_run_that_leaves_pending_running_or_cancelling_gives_its_slot_back(
    api: TestClient, database: Database, path: list[str], force: bool
) -> None:
    deployment_id, (run,) = await deployment_with_runs(api, database, 1)
    assert (await propose(api, run, "PENDING"))["status"] == "ACCEPT"
    for state_type in path[:-1]:
        held = await propose(api, run, state_type)
        assert held["status"] == "ACCEPT" and held["state"]["state_details"][LEASE_KEY]
        assert await active_slots(database, deployment_id) == 1
    left = await propose(api, run, path[-1], force=force)
    assert (left["status"], left["state"]["type"]) == ("ACCEPT", path[-1])
    assert await active_slots(database, deployment_id) == 0
    assert await leases(database) == []


async def test_a_retry_in_the_same_process_keeps_its_slot(
    api: TestClient, database: Database
) -> None:
    deployment_id, (run, other) = await deployment_with_runs(api, database, 2)
    async with database.sessions.begin() as session:
        await session.execute(
            update(FlowRun).where(FlowRun.id == UUID(run)).values(empirical_policy={"retries": 1})
        )
    lease_id = (await propose(api, run, "PENDING"))["state"]["state_details"][LEASE_KEY]
    await propose(api, run, "RUNNING")
    retry = await propose(api, run, "FAILED")
    assert (retry["status"], retry["state"]["name"]) == ("REJECT", "AwaitingRetry")
    assert retry["state"]["state_details"][LEASE_KEY] == lease_id
    assert await active_slots(database, deployment_id) == 1
    assert (await propose(api, other, "PENDING"))["status"] == "REJECT"

    rerun = await propose(api, run, "RUNNING")
    assert rerun["state"]["state_details"][LEASE_KEY] == lease_id
    await propose(api, run, "COMPLETED")
    assert await active_slots(database, deployment_id) == 0


async def test_runs_without_a_limit_are_not_held(api: TestClient, database: Database) -> None:
    _, (run,) = await deployment_with_runs(api, database, 1, limit=None, strategy=None)
    accepted = await propose(api, run, "PENDING")
    assert accepted["status"] == "ACCEPT"
    assert accepted["state"]["state_details"][LEASE_KEY] is None
    assert (await propose(api, run, "RUNNING"))["status"] == "ACCEPT"
    assert await leases(database) == []


async def test_a_limit_of_zero_aborts(api: TestClient, database: Database) -> None:
    deployment_id, (run,) = await deployment_with_runs(api, database, 1, limit=0)
    aborted = await propose(api, run, "PENDING")
    assert aborted["status"] == "ABORT"
    assert "deadlock" in aborted["details"]["reason"]
    assert (await current_state(api, run))["type"] == "SCHEDULED"
    assert await active_slots(database, deployment_id) == 0


async def test_concurrent_pending_proposals_never_both_get_the_one_slot(
    api: TestClient, database: Database
) -> None:
    deployment_id, runs = await deployment_with_runs(api, database, 12)
    answers = await asyncio.gather(*(propose(api, run, "PENDING") for run in runs))
    statuses = sorted(answer["status"] for answer in answers)
    assert statuses == ["ACCEPT"] + ["REJECT"] * 11
    assert await active_slots(database, deployment_id) == 1
    assert len(await leases(database)) == 1


async def test_a_run_whose_lease_expired_before_it_ran_is_cancelled_if_the_slot_is_gone(
    api: TestClient, database: Database, drain: Drain
) -> None:
    deployment_id, (slow, quick) = await deployment_with_runs(api, database, 2)
    lease_id = (await propose(api, slow, "PENDING"))["state"]["state_details"][LEASE_KEY]
    async with database.sessions.begin() as session:  # as if nobody renewed it in time
        await session.execute(
            update(ConcurrencyLease)
            .where(ConcurrencyLease.id == UUID(lease_id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expire_concurrency_leases.send()
    await drain()
    assert await active_slots(database, deployment_id) == 0
    assert (await propose(api, quick, "PENDING"))["status"] == "ACCEPT"

    lost = await propose(api, slow, "RUNNING")
    assert lost["status"] == "REJECT"
    assert lost["state"]["type"] == "CANCELLED"
    assert lost["details"]["reason"] == "Deployment concurrency limit reached after lease expiry."
    assert await active_slots(database, deployment_id) == 1


async def test_a_run_whose_lease_expired_runs_on_when_a_slot_is_free(
    api: TestClient, database: Database, drain: Drain
) -> None:
    deployment_id, (run,) = await deployment_with_runs(api, database, 1)
    lease_id = (await propose(api, run, "PENDING"))["state"]["state_details"][LEASE_KEY]
    async with database.sessions.begin() as session:
        await session.execute(
            update(ConcurrencyLease)
            .where(ConcurrencyLease.id == UUID(lease_id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    expire_concurrency_leases.send()
    await drain()

    running = await propose(api, run, "RUNNING")
    assert running["status"] == "ACCEPT"
    assert running["state"]["state_details"][LEASE_KEY] not in (None, lease_id)
    assert await active_slots(database, deployment_id) == 1


async def test_going_running_renews_the_lease(api: TestClient, database: Database) -> None:
    _, (run,) = await deployment_with_runs(api, database, 1)
    await propose(api, run, "PENDING")
    [before] = await leases(database)
    await propose(api, run, "RUNNING")
    [after] = await leases(database)
    assert after.id == before.id and after.expires_at > before.expires_at


async def test_deleting_a_run_that_holds_a_slot_gives_it_back(
    api: TestClient, database: Database
) -> None:
    deployment_id, (one, two, three) = await deployment_with_runs(api, database, 3, limit=2)
    for run in (one, two):
        assert (await propose(api, run, "PENDING"))["status"] == "ACCEPT"
    assert (await propose(api, three, "PENDING"))["status"] == "REJECT"

    assert (await api.delete(f"/api/flow_runs/{one}")).status == 204
    assert await active_slots(database, deployment_id) == 1
    body = {"flow_runs": {"id": {"any_": [two]}}}
    deleted = await api.post("/api/flow_runs/bulk_delete", json=body)
    assert (await deleted.json())["deleted"] == [two]
    assert await active_slots(database, deployment_id) == 0
    assert await leases(database) == []
    assert (await propose(api, three, "PENDING"))["status"] == "ACCEPT"
