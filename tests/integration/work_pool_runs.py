"""Work pools, queues and scheduled runs in them, made through the API for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from models.db.database import Database
from models.runs.flow_runs import FlowRun


async def create_pool(api: TestClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await api.post("/api/work_pools/", json={"name": name, "type": "process", **fields})
    assert response.status == 201, await response.text()
    return await response.json()


async def create_queue(api: TestClient, pool: str, name: str, **fields: Any) -> dict[str, Any]:
    response = await api.post(f"/api/work_pools/{pool}/queues", json={"name": name, **fields})
    assert response.status == 201, await response.text()
    return await response.json()


async def read_queue(api: TestClient, pool: str, name: str) -> dict[str, Any]:
    response = await api.get(f"/api/work_pools/{pool}/queues/{name}")
    assert response.status == 200, await response.text()
    return await response.json()


async def scheduled_run(
    api: TestClient,
    database: Database,
    queue: dict[str, Any],
    in_seconds: float = -1.0,
    state: str = "SCHEDULED",
) -> str:
    """A flow run in the queue, SCHEDULED to start `in_seconds` from now (or in `state`)."""
    flow = await (await api.post("/api/flows/", json={"name": f"flow-{uuid4().hex[:8]}"})).json()
    when = datetime.now(UTC) + timedelta(seconds=in_seconds)
    body = {
        "flow_id": flow["id"],
        "state": {
            "type": "SCHEDULED",
            "name": "Scheduled",
            "state_details": {"scheduled_time": when.isoformat()},
        },
    }
    response = await api.post("/api/flow_runs/", json=body)
    assert response.status == 201, await response.text()
    run = await response.json()
    # Runs reach a queue through a deployment; here they are put there directly.
    async with database.sessions.begin() as session:
        await session.execute(
            update(FlowRun)
            .where(FlowRun.id == UUID(run["id"]))
            .values(
                work_queue_id=UUID(queue["id"]),
                work_queue_name=queue["name"],
                work_pool_id=UUID(queue["work_pool_id"]),
                work_pool_name=queue["work_pool_name"],
            )
        )
    if state != "SCHEDULED":
        moved = await api.post(
            f"/api/flow_runs/{run['id']}/set_state",
            json={"state": {"type": state}, "force": True},
        )
        assert moved.status == 201, await moved.text()
    return str(run["id"])


async def poll(api: TestClient, pool: str, **body: Any) -> list[dict[str, Any]]:
    """The runs a Prefect worker polling the pool gets."""
    body.setdefault("scheduled_before", (datetime.now(UTC) + timedelta(seconds=10)).isoformat())
    response = await api.post(f"/api/work_pools/{pool}/get_scheduled_flow_runs", json=body)
    assert response.status == 200, await response.text()
    return await response.json()


def run_ids(answer: list[dict[str, Any]]) -> list[str]:
    return [item["flow_run"]["id"] for item in answer]
