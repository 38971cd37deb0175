"""Notification policies through the API, in Prefect 2's shape."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.scenario import create_block, create_policy


async def slack_block(api: TestClient, receiver: Receiver) -> str:
    return await create_block(api, "slack-webhook", {"url": f"{receiver.url}/services/T/B/C"})


async def test_a_policy_is_created_read_changed_listed_and_deleted(
    api: TestClient, receiver: Receiver
) -> None:
    block = await slack_block(api, receiver)
    response = await api.post(
        "/api/flow_run_notification_policies/",
        json={"state_names": ["Failed", "Completed"], "tags": [], "block_document_id": block},
    )
    assert response.status == 201
    policy = await response.json()
    assert policy["is_active"] is True and policy["message_template"] is None
    assert set(policy) == {"id", "created", "updated", "is_active", "state_names", "tags",
                           "block_document_id", "message_template"}  # fmt: skip

    url = f"/api/flow_run_notification_policies/{policy['id']}"
    response = await api.patch(url, json={"is_active": False, "message_template": "{flow_name}"})
    assert response.status == 204
    changed = await (await api.get(url)).json()
    assert (changed["is_active"], changed["state_names"]) == (False, ["Failed", "Completed"])
    assert changed["message_template"] == "{flow_name}"
    # An explicit null template goes back to the default; other nulls mean "not given".
    await api.patch(url, json={"message_template": None, "tags": None})
    changed = await (await api.get(url)).json()
    assert changed["message_template"] is None and changed["tags"] == []

    await create_policy(api, block)
    active = await api.post(
        "/api/flow_run_notification_policies/filter",
        json={"flow_run_notification_policy_filter": {"is_active": {"eq_": True}}},
    )
    assert len(await active.json()) == 1
    everything = await api.post("/api/flow_run_notification_policies/filter", json={"limit": 10})
    assert len(await everything.json()) == 2

    assert (await api.delete(url)).status == 204
    assert (await api.get(url)).status == 404
    assert (await api.delete(url)).status == 404


async def test_an_unknown_placeholder_is_a_422_naming_it(
    api: TestClient, receiver: Receiver
) -> None:
    block = await slack_block(api, receiver)
    response = await api.post(
        "/api/flow_run_notification_policies/",
        json={"state_names": [], "tags": [], "block_document_id": block,
              "message_template": "Run {flow_run_name} is {nope}"},
    )  # fmt: skip
    assert response.status == 422
    [error] = (await response.json())["exception_detail"]
    assert error["loc"] == ["body", "message_template"]
    assert "Invalid template variable provided: 'nope'" in error["msg"]


async def test_a_policy_needs_an_existing_notification_block(
    api: TestClient, receiver: Receiver
) -> None:
    missing = await api.post(
        "/api/flow_run_notification_policies/",
        json={
            "state_names": [],
            "tags": [],
            "block_document_id": "8b7e0c3c-0000-4000-8000-000000000001",
        },
    )
    assert missing.status == 404
    # Secret is registered with the block catalog, as on Prefect's server.
    secret_type = await (await api.get("/api/block_types/slug/secret")).json()
    [schema] = await (
        await api.post(
            "/api/block_schemas/filter",
            json={"block_schemas": {"block_type_id": {"any_": [secret_type["id"]]}}},
        )
    ).json()
    document = await (
        await api.post(
            "/api/block_documents/",
            json={"name": "s", "data": {"value": "x"}, "block_schema_id": schema["id"],
                  "block_type_id": secret_type["id"]},
        )
    ).json()  # fmt: skip
    not_a_channel = await api.post(
        "/api/flow_run_notification_policies/",
        json={"state_names": [], "tags": [], "block_document_id": document["id"]},
    )
    assert not_a_channel.status == 422
    assert "cannot notify" in (await not_a_channel.json())["detail"]
