"""Testing a notification policy: a sample message through the policy's channel, delivered,
failed and replayed like any delivery, and told apart from a flow run's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from sqlalchemy import update

from models.db.database import Database
from models.notifications.policies import NotificationPolicy
from models.settings import Settings
from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import create_block, create_policy
from tests.integration.notifications.test_deliveries import run_cli
from tests.running import Drain

HOOK_PATH = "/custom/policy-test"


async def webhook_policy(api: TestClient, receiver: Receiver, **options: Any) -> str:
    block = await create_block(
        api, "custom-webhook", {"name": "policy-test", "url": receiver.url + HOOK_PATH}
    )
    return await create_policy(api, block, **options)


async def send_test(api: TestClient, policy_id: str) -> dict[str, Any]:
    response = await api.post(f"/api/flow_run_notification_policies/{policy_id}/test")
    assert response.status == 201, await response.text()
    delivery: dict[str, Any] = await response.json()
    return delivery


async def read_delivery(api: TestClient, delivery_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/notification_deliveries/{delivery_id}")
    assert response.status == 200, await response.text()
    delivery: dict[str, Any] = await response.json()
    return delivery


async def test_a_paused_policy_sends_its_template_for_a_sample_run_to_its_receiver(
    api: TestClient, receiver: Receiver, drain: Drain, settings: Settings
) -> None:
    policy_id = await webhook_policy(
        api,
        receiver,
        message_template="Run {flow_run_name} is {flow_run_state_name}: {flow_run_url}",
    )
    paused = await api.patch(
        f"/api/flow_run_notification_policies/{policy_id}", json={"is_active": False}
    )
    assert paused.status == 204

    sent = await send_test(api, policy_id)
    assert (sent["policy_id"], sent["channel"], sent["test"]) == (policy_id, "webhook", True)
    assert sent["flow_run_id"] is None and sent["flow_run_state_id"] is None
    await drain()

    [request] = receiver.requests_to(HOOK_PATH)
    message = request.json()
    assert message["id"] == sent["id"]
    assert message["title"].startswith("[Test] ")
    link = f"{settings.ui_url.rstrip('/')}/notifications"
    assert message["summary"].endswith(f"Run test-notification is Failed: {link}")
    assert f"test of notification policy {policy_id}" in message["summary"]
    delivery = await read_delivery(api, sent["id"])
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 1)
    assert [attempt["outcome"] for attempt in delivery["attempts"]] == ["delivered"]

    # Each test is a delivery of its own, and the CLI's list marks them as tests.
    again = await send_test(api, policy_id)
    assert again["id"] != sent["id"]
    await drain()
    listed = await run_cli(settings, "notifications", "deliveries")
    assert listed.exit_code == 0, listed.output
    lines = [line.split() for line in listed.output.splitlines()[1:]]
    assert sorted((line[0], line[6]) for line in lines) == sorted(
        [(sent["id"], "yes"), (again["id"], "yes")]
    )


async def test_a_refused_test_fails_with_its_attempt_recorded_and_is_replayed(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    policy_id = await webhook_policy(api, receiver)
    receiver.script(HOOK_PATH, Reply(400, "unknown hook"))

    sent = await send_test(api, policy_id)
    await drain()

    failed = await read_delivery(api, sent["id"])
    assert failed["status"] == "failed"
    [attempt] = failed["attempts"]
    assert (attempt["outcome"], attempt["status_code"]) == ("permanent", 400)
    assert "unknown hook" in (attempt["excerpt"] or "")

    replayed = await api.post(f"/api/notification_deliveries/{sent['id']}/replay")
    assert replayed.status == 202
    await drain()
    delivered = await read_delivery(api, sent["id"])
    assert delivered["status"] == "delivered"
    assert [attempt["status_code"] for attempt in delivered["attempts"]] == [400, 200]
    assert len(receiver.requests_to(HOOK_PATH)) == 2


async def test_an_unknown_policy_is_a_404(api: TestClient) -> None:
    response = await api.post(
        "/api/flow_run_notification_policies/8b7e0c3c-0000-4000-8000-000000000001/test"
    )
    assert response.status == 404


async def test_a_policy_whose_block_cannot_notify_is_a_422_naming_the_block(
    api: TestClient, receiver: Receiver, database: Database
) -> None:
    policy_id = await webhook_policy(api, receiver)
    secret = await create_block(api, "secret", {"value": "not a channel"})
    # The API refuses such a block for a policy; a policy stored before that check has one.
    async with database.sessions.begin() as session:
        await session.execute(
            update(NotificationPolicy)
            .where(NotificationPolicy.id == UUID(policy_id))
            .values(block_document_id=UUID(secret))
        )

    response = await api.post(f"/api/flow_run_notification_policies/{policy_id}/test")
    assert response.status == 422
    assert secret in (await response.json())["detail"]
    assert receiver.requests_to(HOOK_PATH) == []
