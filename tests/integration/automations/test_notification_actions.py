"""send-notification and call-webhook: one delivery per firing and action, through the
channel queues, with the template rendered in the sandbox; a notification policy kept as an
automation notifies exactly as the policy always did."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient
from click.testing import CliRunner, Result
from sqlalchemy import select

from actors.automation_actions import act_on_firing
from cli.main import signalbox
from models.automations.action_runs import action_run_id
from models.automations.tables import Automation
from models.db.database import Database
from models.notifications.deliveries import delivery_id
from models.settings import Settings
from tests.integration.automations.firings import (
    action_runs_of,
    automation_events,
    insert_automation,
    insert_firing,
    latest_flow_run_event,
)
from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    fail_flow_run,
    start_flow_run,
)
from tests.running import Drain

BODY = "{{ flow.name }}/{{ flow_run.name }} entered {{ flow_run.state.name }}: {{ event.event }}"


async def slack_block(api: TestClient, receiver: Receiver) -> str:
    data = {"url": f"{receiver.url}/services/T000/B000/SLACKTOKEN0123456789"}
    return await create_block(api, "slack-webhook", data)


async def read_delivery(api: TestClient, delivery: str) -> dict[str, Any]:
    response = await api.get(f"/api/notification_deliveries/{delivery}")
    assert response.status == 200, await response.text()
    found: dict[str, Any] = await response.json()
    return found


async def run_cli(settings: Settings, *args: str) -> Result:
    env = {"SIGNALBOX_DATABASE_URL": settings.database_url, "SIGNALBOX_HOME": str(settings.home)}
    return await asyncio.to_thread(CliRunner().invoke, signalbox, list(args), env=env)


async def test_a_failed_run_sends_one_message_with_the_rendered_template(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain, settings: Settings
) -> None:
    block = await slack_block(api, receiver)
    action = {
        "type": "send-notification",
        "block_document_id": block,
        "subject": "{{ flow.name }} failed",
        "body": BODY,
    }
    automation_id = await insert_automation(database, [action])
    flow_run_id = await start_flow_run(api, states=("RUNNING", "FAILED"))
    firing_id = await insert_firing(
        database, automation_id, await latest_flow_run_event(database, flow_run_id)
    )

    act_on_firing.send(firing_id)
    act_on_firing.send(firing_id)
    await drain()

    [request] = receiver.requests_to("/services/")
    message = request.json()
    assert message["blocks"][0]["text"]["text"] == "etl-nightly failed"
    assert message["blocks"][1]["text"]["text"] == (
        "etl-nightly/aquatic-cockatoo entered Failed: prefect.flow-run.Failed"
    )
    # The link opens the run's page in the UI.
    run_page = f"{settings.ui_url}/runs/flow-run/{flow_run_id}"
    assert message["blocks"][-1]["elements"][0]["text"] == f"<{run_page}|Open the flow run>"
    [run] = await action_runs_of(database, firing_id)
    delivery = await read_delivery(api, run.details["delivery_id"])
    assert delivery["id"] == str(action_run_id(UUID(firing_id), 0))
    assert (delivery["automation_id"], delivery["firing_id"]) == (str(automation_id), firing_id)
    assert (delivery["status"], delivery["flow_run_id"]) == ("delivered", flow_run_id)
    executed = (await automation_events(database, automation_id))[-1]
    assert executed.event == "prefect.automation.action.executed"
    assert executed.payload["delivery_id"] == delivery["id"]


async def test_a_template_that_escapes_the_sandbox_fails_the_action_and_sends_nothing(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    escape = "{{ cycler.__init__.__globals__.os.environ }}"
    automation_id = await insert_automation(
        database, [{"type": "send-notification", "block_document_id": block, "body": escape}]
    )
    flow_run_id = await fail_flow_run(api)
    firing_id = await insert_firing(
        database, automation_id, await latest_flow_run_event(database, flow_run_id)
    )

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert run.status == "failed"
    assert run.reason is not None
    assert run.reason.startswith("Template rendering failed: not allowed in a template")
    assert "environ" not in run.reason.split("unsafe")[-1]
    assert receiver.requests_to("/services/") == []
    failed = (await automation_events(database, automation_id))[-1]
    assert failed.event == "prefect.automation.action.failed"
    assert failed.payload["reason"] == run.reason


async def test_a_block_that_does_not_notify_fails_the_action(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    webhook = await create_block(api, "webhook", {"url": f"{receiver.url}/hooks/x"})
    automation_id = await insert_automation(
        database, [{"type": "send-notification", "block_document_id": webhook, "body": "x"}]
    )
    firing_id = await insert_firing(database, automation_id, None)

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.status, run.reason) == (
        "failed",
        "The referenced block was not a notification block",
    )


async def test_call_webhook_sends_the_rendered_payload_and_retries_what_the_receiver_asks(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    receiver.script("/hooks/", Reply(503, "busy", {"Retry-After": "1"}), Reply(200))
    webhook = await create_block(
        api,
        "webhook",
        {"url": f"{receiver.url}/hooks/nightly", "method": "PUT", "headers": {"X-Team": "data"}},
    )
    payload = '{"run": "{{ flow_run.name }}", "state": "{{ flow_run.state.type }}"}'
    automation_id = await insert_automation(
        database, [{"type": "call-webhook", "block_document_id": webhook, "payload": payload}]
    )
    flow_run_id = await fail_flow_run(api)
    firing_id = await insert_firing(
        database, automation_id, await latest_flow_run_event(database, flow_run_id)
    )

    act_on_firing.send(firing_id)
    await drain()

    first, second = receiver.requests_to("/hooks/")
    assert second.method == "PUT" and second.header("X-Team") == "data"
    assert second.json() == {"run": "aquatic-cockatoo", "state": "FAILED"}
    [run] = await action_runs_of(database, firing_id)
    delivery = await read_delivery(api, run.details["delivery_id"])
    assert delivery["status"] == "delivered"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [503, 200]
    assert delivery["attempts"][0]["retry_after_ms"] == 1000  # the receiver's Retry-After
    assert first.body == second.body


async def test_a_refused_automation_delivery_is_listed_and_replayed_by_the_cli(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain, settings: Settings
) -> None:
    receiver.script("/services/", Reply(404, "no_service"))
    block = await slack_block(api, receiver)
    automation_id = await insert_automation(
        database, [{"type": "send-notification", "block_document_id": block, "body": BODY}]
    )
    flow_run_id = await fail_flow_run(api)
    firing_id = await insert_firing(
        database, automation_id, await latest_flow_run_event(database, flow_run_id)
    )
    act_on_firing.send(firing_id)
    await drain()
    [run] = await action_runs_of(database, firing_id)
    delivery_key = run.details["delivery_id"]
    assert (await read_delivery(api, delivery_key))["status"] == "failed"

    listed = await run_cli(
        settings, "notifications", "deliveries", "--failed", "--automation", str(automation_id)
    )
    assert listed.exit_code == 0, listed.output
    assert delivery_key in listed.output and str(automation_id) in listed.output

    replayed = await run_cli(settings, "notifications", "replay", delivery_key)
    assert replayed.exit_code == 0, replayed.output
    await drain()

    assert (await read_delivery(api, delivery_key))["status"] == "delivered"
    assert len(receiver.requests_to("/services/")) == 2


async def test_a_notification_policy_kept_as_an_automation_notifies_as_the_policy_does(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    policy_id = await create_policy(
        api, block, message_template="{flow_name}/{flow_run_name} is {flow_run_state_type}"
    )
    # The policy itself is left out of the old evaluation, so only the automation sends.
    await api.patch(f"/api/flow_run_notification_policies/{policy_id}", json={"is_active": False})
    # The automation the policy is kept as, made with the policy where evaluation keeps them.
    async with database.read_sessions() as session:
        kept = await session.scalar(
            select(Automation.id).where(Automation.notification_policy_id == UUID(policy_id))
        )
    automation_id = kept or await insert_automation(
        database,
        [{"type": "send-notification", "block_document_id": block, "body": "unused"}],
        notification_policy_id=UUID(policy_id),
    )
    flow_run_id = await fail_flow_run(api)
    event = await latest_flow_run_event(database, flow_run_id)
    firing_id = await insert_firing(database, automation_id, event)

    act_on_firing.send(firing_id)
    act_on_firing.send(firing_id)
    await drain()

    [request] = receiver.requests_to("/services/")
    assert request.json()["blocks"][1]["text"]["text"] == "etl-nightly/aquatic-cockatoo is FAILED"
    [run] = await action_runs_of(database, firing_id)
    expected = str(delivery_id(UUID(policy_id), UUID(event["id"])))
    assert run.details["delivery_id"] == expected
    delivery = await read_delivery(api, expected)
    assert (delivery["policy_id"], delivery["automation_id"]) == (policy_id, str(automation_id))
    assert delivery["flow_run_state_id"] == event["id"]
