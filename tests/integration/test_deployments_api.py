"""Deployments: the upsert, reads by id and name, changes, listing, runs made from them,
pausing, and the runner's poll, as Prefect's client and server exchange them."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from api import keys

SCHEMA = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "x": {"default": 1, "position": 0, "title": "x", "type": "integer"},
        "name": {"position": 1, "title": "name", "type": "string"},
    },
    "required": ["name"],
}


async def create_flow(api: TestClient, name: str = "my-flow") -> str:
    response = await api.post("/api/flows/", json={"name": name})
    assert response.status in (200, 201), await response.text()
    return str((await response.json())["id"])


async def create_deployment(
    api: TestClient, flow_id: str, name: str = "my-dep", expect: int = 201, **fields: Any
) -> dict[str, Any]:
    response = await api.post(
        "/api/deployments/", json={"name": name, "flow_id": flow_id, **fields}
    )
    assert response.status == expect, await response.text()
    return await response.json()


async def count_rows(api: TestClient, model: Any) -> int:
    async with api.app[keys.database].read_sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_served_deployment_is_created_read_and_polled(api: TestClient) -> None:
    flow_id = await create_flow(api, "scenario-g")
    missing = await api.get("/api/deployments/name/scenario-g/g-dep")
    assert (missing.status, await missing.json()) == (404, {"detail": "Deployment not found"})
    created = await create_deployment(
        api,
        flow_id,
        "g-dep",
        paused=False,
        schedules=[
            {
                "schedule": {
                    "interval": 3600.0,
                    "anchor_date": "2026-11-25T18:03:59.720811Z",
                    "timezone": "UTC",
                },
                "active": True, "max_scheduled_runs": None, "parameters": {},
                "slug": None, "replaces": None,
            }
        ],
        concurrency_limit=None, concurrency_options=None, enforce_parameter_schema=True,
        parameter_openapi_schema=SCHEMA, parameters={"x": 5}, tags=["served"], labels={},
        work_queue_name=None, storage_document_id=None, infrastructure_document_id=None,
        description="None", path=".", entrypoint="g_serve.py:served", job_variables={},
        version="dc2c", version_info={"type": "prefect:simple", "version": "dc2c"},
    )  # fmt: skip
    assert created["labels"] == {"prefect.flow.id": flow_id}
    assert created["status"] == "NOT_READY" and created["last_polled"] is None
    assert (created["work_queue_id"], created["work_pool_name"]) == (None, None)
    [schedule] = created["schedules"]
    assert schedule["schedule"] == {
        "interval": 3600.0,
        "anchor_date": "2026-11-25T18:03:59.720811Z",
        "timezone": "UTC",
    }
    assert schedule["deployment_id"] == created["id"]
    assert (created["concurrency_limit"], created["global_concurrency_limit"]) == (None, None)

    by_name = await (await api.get("/api/deployments/name/scenario-g/g-dep")).json()
    by_id = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert by_name == by_id == created

    owned = await api.delete(f"/api/automations/owned-by/prefect.deployment.{created['id']}")
    assert owned.status == 202

    polled = await api.post(
        "/api/deployments/get_scheduled_flow_runs",
        json={"deployment_ids": [created["id"]], "scheduled_before": "2026-11-25 18:04:10+00:00"},
    )
    assert (polled.status, await polled.json()) == (200, [])
    after = await (await api.get(f"/api/deployments/{created['id']}")).json()
    assert after["status"] == "READY" and after["last_polled"] is not None

    paused = await api.patch(f"/api/deployments/{created['id']}", json={"paused": True})
    assert paused.status == 204
    assert (await (await api.get(f"/api/deployments/{created['id']}")).json())["paused"] is True
