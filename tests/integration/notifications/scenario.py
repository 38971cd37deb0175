"""Steps the notification tests share, all through the real API: notification blocks,
policies, and flow runs that fail."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from aiohttp.test_utils import TestClient


async def create_block(api: TestClient, slug: str, data: dict[str, Any], name: str = "") -> str:
    """A block document of a notification block type; returns its id."""
    response = await api.get(f"/api/block_types/slug/{slug}")
    assert response.status == 200, await response.text()
    block_type = await response.json()
    response = await api.post(
        "/api/block_schemas/filter",
        json={"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}},
    )
    [schema, *_] = await response.json()
    response = await api.post(
        "/api/block_documents/",
        json={
            "name": name or f"{slug}-{uuid4().hex[:8]}",
            "data": data,
            "block_schema_id": schema["id"],
            "block_type_id": block_type["id"],
        },
    )
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def create_policy(
    api: TestClient,
    block_document_id: str,
    *,
    state_names: list[str] | None = None,
    tags: list[str] | None = None,
    message_template: str | None = None,
) -> str:
    body: dict[str, Any] = {
        "state_names": ["Failed"] if state_names is None else state_names,
        "tags": tags or [],
        "block_document_id": block_document_id,
    }
    if message_template is not None:
        body["message_template"] = message_template
    response = await api.post("/api/flow_run_notification_policies/", json=body)
    assert response.status == 201, await response.text()
    return str((await response.json())["id"])


async def start_flow_run(
    api: TestClient,
    *,
    states: tuple[str, ...] = ("RUNNING",),
    tags: list[str] | None = None,
    flow_name: str = "etl-nightly",
    parameters: dict[str, Any] | None = None,
) -> str:
    """A flow run moved through `states` after PENDING; returns its id."""
    flow = await (await api.post("/api/flows/", json={"name": flow_name})).json()
    body: dict[str, Any] = {
        "flow_id": flow["id"],
        "name": "aquatic-cockatoo",
        "tags": tags or [],
        "state": {"type": "PENDING"},
    }
    if parameters is not None:
        body["parameters"] = parameters
    flow_run = await (await api.post("/api/flow_runs/", json=body)).json()
    for state_type in states:
        response = await api.post(
            f"/api/flow_runs/{flow_run['id']}/set_state",
            json={"state": {"type": state_type, "message": "ValueError: boom 7"}},
        )
        assert (await response.json())["status"] == "ACCEPT"
    return str(flow_run["id"])


async def fail_flow_run(
    api: TestClient, *, tags: list[str] | None = None, flow_name: str = "etl-nightly"
) -> str:
    """A flow run that goes Pending → Running → Failed; returns its id."""
    return await start_flow_run(
        api,
        states=("RUNNING", "FAILED"),
        tags=tags,
        flow_name=flow_name,
        parameters={"x": 7, "fail": True},
    )


async def deliveries_of(api: TestClient, flow_run_id: str) -> list[dict[str, Any]]:
    """The flow run's deliveries with their attempts, through the API."""
    response = await api.get(f"/api/flow_runs/{flow_run_id}/notification_deliveries")
    assert response.status == 200, await response.text()
    deliveries: list[dict[str, Any]] = await response.json()
    return deliveries
