"""From an accepted state to deliveries: which policies fire, exactly once, with the rendered
template; dead deliveries, their dead letters and replays; the operators' CLI."""

from __future__ import annotations

import asyncio
from uuid import UUID

from aiohttp.test_utils import TestClient
from click.testing import CliRunner, Result
from sqlalchemy import select

from actors.persistence import announce_flow_run_states
from cli.main import signalbox
from models.db.database import Database
from models.messages.announcements import announcement
from models.messages.dead_letters import DeadLetter
from models.runs.flow_runs import FlowRun
from models.settings import Settings
from tests.integration.notifications.receiver import Receiver, Reply
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    fail_flow_run,
)
from tests.running import Drain


async def slack_block(api: TestClient, receiver: Receiver, name: str = "") -> str:
    data = {"url": f"{receiver.url}/services/T000/B000/SLACKTOKEN0123456789"}
    return await create_block(api, "slack-webhook", data, name=name)


async def run_cli(settings: Settings, *args: str) -> Result:
    """The real command tree, in a thread: its commands run their own event loop."""
    env = {"SIGNALBOX_DATABASE_URL": settings.database_url, "SIGNALBOX_HOME": str(settings.home)}
    for name in ("ui_url", "delivery_timeout_seconds"):
        env[f"SIGNALBOX_{name.upper()}"] = str(getattr(settings, name))
    return await asyncio.to_thread(CliRunner().invoke, signalbox, list(args), env=env)


async def test_a_policy_on_another_tag_or_an_inactive_one_sends_nothing(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    await create_policy(api, block, tags=["other"])
    inactive = await create_policy(api, block)
    await api.patch(f"/api/flow_run_notification_policies/{inactive}", json={"is_active": False})
    tagged = await create_policy(api, block, tags=["nightly", "etl"])
    flow_run_id = await fail_flow_run(api, tags=["nightly"])
    await drain()

    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["policy_id"] == tagged
    assert len(receiver.requests_to("/services/")) == 1


async def test_a_policy_on_every_state_notifies_each_state_once(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    await create_policy(api, await slack_block(api, receiver), state_names=[])
    flow_run_id = await fail_flow_run(api)
    await drain()

    deliveries = await deliveries_of(api, flow_run_id)
    assert sorted(delivery["subject"].rsplit(" ", 1)[-1] for delivery in deliveries) == [
        "Failed",
        "Pending",
        "Running",
    ]
    assert len(receiver.requests_to("/services/")) == 3


async def test_a_redelivered_state_message_sends_nothing_twice(
    api: TestClient, receiver: Receiver, drain: Drain, database: Database
) -> None:
    await create_policy(api, await slack_block(api, receiver))
    flow_run_id = await fail_flow_run(api)
    await drain()
    async with database.read_sessions() as session:
        flow_run = await session.get(FlowRun, UUID(flow_run_id))
        assert flow_run is not None and flow_run.state_id is not None
    # The state actor's message arrives again (at-least-once delivery).
    for _ in range(2):
        announce_flow_run_states.send([announcement(flow_run.id, flow_run.state_id, None, None)])
    await drain()

    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["attempt_count"] == 1
    assert len(receiver.requests_to("/services/")) == 1


async def test_the_message_is_the_policys_template_rendered_readably(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    template = "{flow_name}/{flow_run_name} is {flow_run_state_type} with {flow_run_parameters}"
    await create_policy(api, await slack_block(api, receiver), message_template=template)
    await fail_flow_run(api)
    await drain()

    [request] = receiver.requests_to("/services/")
    section = request.json()["blocks"][1]["text"]["text"]
    assert section == 'etl-nightly/aquatic-cockatoo is FAILED with {"x": 7, "fail": true}'


async def test_a_delivery_out_of_attempts_is_dead_and_its_replay_delivers_it(
    api: TestClient, receiver: Receiver, drain: Drain, database: Database, settings: Settings
) -> None:
    receiver.script("/services/", *[Reply(503, "rollup_error")] * settings.delivery_max_attempts)
    await create_policy(api, await slack_block(api, receiver))
    flow_run_id = await fail_flow_run(api)
    await drain()

    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["status"] == "dead"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [503] * 4
    async with database.read_sessions() as session:
        [letter] = list(await session.scalars(select(DeadLetter)))
    assert letter.actor_name == "deliver_slack" and "DeliveryExhausted" in letter.reason

    listed = await run_cli(settings, "notifications", "deliveries", "--failed")
    assert listed.exit_code == 0, listed.output
    assert delivery["id"] in listed.output and "dead" in listed.output

    replayed = await run_cli(settings, "notifications", "replay", delivery["id"])
    assert replayed.exit_code == 0, replayed.output
    assert "Replaying 1 delivery." in replayed.output
    await drain()

    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["status"] == "delivered"
    assert [attempt["number"] for attempt in delivery["attempts"]] == [1, 2, 3, 4, 5]
    async with database.read_sessions() as session:
        letter = await session.get(DeadLetter, letter.id, populate_existing=True)
    assert letter is not None and letter.replay_count == 1
    again = await run_cli(settings, "notifications", "replay", delivery["id"])
    assert again.exit_code == 1 and "delivered" in again.output


async def test_a_refused_delivery_is_replayed_through_the_api(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    receiver.script("/services/", Reply(404, "no_service"))
    policy = await create_policy(api, await slack_block(api, receiver))
    flow_run_id = await fail_flow_run(api)
    await drain()
    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["status"] == "failed" and delivery["last_error"] == "HTTP 404"

    response = await api.post(f"/api/notification_deliveries/{delivery['id']}/replay")
    assert response.status == 202
    await drain()

    read = await (await api.get(f"/api/notification_deliveries/{delivery['id']}")).json()
    assert read["status"] == "delivered"
    assert [attempt["outcome"] for attempt in read["attempts"]] == ["permanent", "delivered"]
    by_policy = await api.get(
        f"/api/flow_run_notification_policies/{policy}/notification_deliveries"
    )
    assert [row["id"] for row in await by_policy.json()] == [delivery["id"]]
    failed = await api.post("/api/notification_deliveries/filter", json={"statuses": ["failed"]})
    assert await failed.json() == []
    assert (await api.post(f"/api/notification_deliveries/{delivery['id']}/replay")).status == 422


async def test_the_test_command_sends_now_and_prints_the_answer(
    api: TestClient, receiver: Receiver, settings: Settings
) -> None:
    await slack_block(api, receiver, name="ops-alerts")
    result = await run_cli(settings, "notifications", "test", "slack-webhook/ops-alerts")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("slack: delivered (HTTP 200")
    [request] = receiver.requests_to("/services/")
    assert request.json()["text"] == "Test notification from Signalbox"
    assert "SLACKTOKEN0123456789" not in result.output

    receiver.script("/services/", Reply(403, "action_prohibited"))
    refused = await run_cli(settings, "notifications", "test", "slack-webhook/ops-alerts")
    assert refused.exit_code == 1
    assert "permanent (HTTP 403" in refused.output
    unknown = await run_cli(settings, "notifications", "test", "slack-webhook/nope")
    assert unknown.exit_code == 1 and "No block document" in unknown.output


async def test_deliveries_are_listed_per_flow_run_from_the_cli(
    api: TestClient, receiver: Receiver, drain: Drain, settings: Settings
) -> None:
    await create_policy(api, await slack_block(api, receiver))
    flow_run_id = await fail_flow_run(api)
    other_run = await fail_flow_run(api, flow_name="other-flow")
    await drain()

    result = await run_cli(settings, "notifications", "deliveries", "--flow-run", flow_run_id)
    assert result.exit_code == 0, result.output
    header, line = result.output.strip().splitlines()
    assert header.split() == [
        "id", "channel", "status", "attempts", "created", "automation", "test", "last", "error"
    ]  # fmt: skip
    [delivery] = await deliveries_of(api, flow_run_id)
    assert line.split()[:4] == [delivery["id"], "slack", "delivered", "1"]
    [elsewhere] = await deliveries_of(api, other_run)
    assert elsewhere["id"] not in result.output


async def test_a_delivery_after_its_block_is_edited_goes_where_the_block_now_points(
    api: TestClient, receiver: Receiver, drain: Drain
) -> None:
    # The worker keeps opened blocks between deliveries; an edit must still reach the next one.
    block = await slack_block(api, receiver)
    await create_policy(api, block)
    await fail_flow_run(api)
    await drain()
    moved = {"url": f"{receiver.url}/services/T000/B000/MOVEDTOKEN0123456789"}
    response = await api.patch(f"/api/block_documents/{block}", json={"data": moved})
    assert response.status == 204

    await fail_flow_run(api)
    await drain()

    assert [request.path for request in receiver.requests_to("/services/")] == [
        "/services/T000/B000/SLACKTOKEN0123456789",
        "/services/T000/B000/MOVEDTOKEN0123456789",
    ]
