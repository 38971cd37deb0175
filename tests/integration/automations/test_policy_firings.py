"""A notification policy's firing is acted on by the evaluator: its delivery is made in the
firing's transaction and queued straight to its channel, with no message on `actions`, once
however often its event is evaluated, and owed through the outbox until it is queued.

The workers here consume every queue but `actions` (and, where the test plays the evaluator
itself, `automations`): whatever still went through the action runner would never arrive.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID

import dramatiq
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from actors.broker import broker
from actors.notifications import queue_owed_deliveries
from api import keys
from models.automations.enabled_rules import read_enabled_rules
from models.automations.evaluation import evaluate_events, read_candidate_events
from models.automations.policy_automations import policy_automation_id
from models.automations.policy_firings import ActedFirings, act_on_policy_firings
from models.automations.tables import Automation
from models.db.database import Database
from models.db.types import utcnow
from models.messages.outbox import OutboxMessage
from models.notifications.deliveries import delivery_id
from models.notifications.evaluation import DELIVERY_QUEUEING_ACTOR
from models.settings import Settings
from tests.integration.automations.firings import (
    action_runs_of,
    automation_events,
    latest_flow_run_event,
)
from tests.integration.notifications.harness import ALL_QUEUES, running_workers
from tests.integration.notifications.receiver import Receiver
from tests.integration.notifications.scenario import (
    create_block,
    create_policy,
    deliveries_of,
    fail_flow_run,
)
from tests.running import Drain, drainer

#: Everything but the action runner.
WITHOUT_ACTIONS = frozenset(ALL_QUEUES - {"actions"})
#: Neither the action runner nor the evaluator: the test evaluates.
WITHOUT_EVALUATOR = frozenset(WITHOUT_ACTIONS - {"automations"})


@pytest.fixture
def queues() -> frozenset[str]:
    return WITHOUT_ACTIONS


@pytest.fixture
def workers(
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    queues: frozenset[str],
) -> Iterator[dramatiq.Worker]:
    with running_workers(settings, monkeypatch, set(queues)) as worker:
        yield worker


@pytest.fixture
def drain(workers: dramatiq.Worker, queues: frozenset[str]) -> Drain:
    return drainer(workers, queues)


def messages_on(queue: str) -> int:
    """Messages waiting on `queue`, those delayed for a retry included."""
    return sum(
        int(broker.client.llen(f"{broker.namespace}:{name}")) for name in (queue, f"{queue}.DQ")
    )


async def slack_block(api: TestClient, receiver: Receiver) -> str:
    data = {"url": f"{receiver.url}/services/T000/B000/SLACKTOKEN0123456789"}
    return await create_block(api, "slack-webhook", data)


async def test_a_policy_firing_is_delivered_with_no_message_on_the_actions_queue(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    policy_id = await create_policy(
        api, block, message_template="{flow_name}/{flow_run_name} is {flow_run_state_type}"
    )
    flow_run_id = await fail_flow_run(api)
    await drain()

    [request] = receiver.requests_to("/services/")
    assert request.json()["blocks"][1]["text"]["text"] == "etl-nightly/aquatic-cockatoo is FAILED"
    assert messages_on("actions") == 0
    state_event = await latest_flow_run_event(database, flow_run_id)
    [delivery] = await deliveries_of(api, flow_run_id)
    assert delivery["id"] == str(delivery_id(UUID(policy_id), UUID(state_event["id"])))
    assert delivery["status"] == "delivered"
    # The firing's history and events read as when the action runner performed it.
    automation_id = policy_automation_id(UUID(policy_id))
    [run] = await action_runs_of(database, delivery["firing_id"])
    assert (run.status, run.action_type, run.attempts) == ("succeeded", "send-notification", 1)
    assert run.details == {"delivery_id": delivery["id"]}
    triggered, executed = await automation_events(database, automation_id)
    assert triggered.event == "prefect.automation.action.triggered"
    assert executed.event == "prefect.automation.action.executed"
    assert executed.payload["delivery_id"] == delivery["id"]
    assert {"prefect.resource.id": f"prefect.event.{state_event['id']}"}.items() <= (
        executed.related[-1].items()
    )
    async with database.read_sessions() as session:
        assert await session.scalar(select(OutboxMessage.id)) is None  # its row was cleared


async def test_an_automation_that_is_no_policy_still_goes_through_the_action_runner(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    automation = await api.post(
        "/api/automations/",
        json={
            "name": "when it fails",
            "trigger": {
                "type": "event",
                "posture": "Reactive",
                "expect": ["prefect.flow-run.Failed"],
                "threshold": 1,
                "within": 0,
            },
            "actions": [{"type": "send-notification", "block_document_id": block, "body": "x"}],
        },
    )
    assert automation.status == 201, await automation.text()
    await fail_flow_run(api)
    await drain()

    assert messages_on("actions") == 1
    assert receiver.requests_to("/services/") == []


async def evaluate_and_die(database: Database, settings: Settings, event_id: str) -> ActedFirings:
    """Evaluate the stored event as `evaluate_events` does, commit, and queue nothing (the
    process is killed right after its commit)."""
    now = utcnow()
    async with database.read_sessions() as session:
        automations = await read_enabled_rules(session)
        events = await read_candidate_events(
            session, [UUID(event_id)], received_after=now - timedelta(days=1)
        )
    async with database.sessions.begin() as session:
        recorded = await evaluate_events(session, automations, events, now)
        return await act_on_policy_firings(
            session,
            recorded.firing_ids,
            now=now,
            ui_url=settings.ui_url,
            template_max_bytes=settings.automation_template_max_bytes,
        )


@pytest.mark.parametrize("queues", [WITHOUT_EVALUATOR])
async def test_a_policy_firing_evaluated_twice_after_a_crash_is_delivered_once_from_the_outbox(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain, settings: Settings
) -> None:
    block = await slack_block(api, receiver)
    await create_policy(api, block)
    flow_run_id = await fail_flow_run(api)
    await drain()
    state_event = await latest_flow_run_event(database, flow_run_id)

    acted = await evaluate_and_die(database, settings, state_event["id"])
    again = await evaluate_and_die(database, settings, state_event["id"])  # redelivered

    assert len(acted.deliveries) == 1 and acted.owed is not None
    assert again == ActedFirings()
    async with database.read_sessions() as session:
        [owed] = list(await session.scalars(select(OutboxMessage)))
    assert owed.actor_name == DELIVERY_QUEUEING_ACTOR
    # The API's relay sends the rows it sweeps to the actor the row names.
    relay = api.app[keys.outbox].relay
    assert DELIVERY_QUEUEING_ACTOR in relay.coalescers
    queue_owed_deliveries.send(owed.argument)
    queue_owed_deliveries.send(owed.argument)  # two API processes swept the same row
    await drain()

    assert len(receiver.requests_to("/services/")) == 1
    [delivery] = await deliveries_of(api, flow_run_id)
    assert (delivery["status"], delivery["attempt_count"]) == ("delivered", 1)
    assert [delivery["id"]] == owed.argument
    assert [run.status for run in await action_runs_of(database, delivery["firing_id"])] == [
        "succeeded"
    ]
    assert messages_on("actions") == 0


async def test_a_policy_automation_given_another_action_goes_through_the_action_runner(
    api: TestClient, receiver: Receiver, database: Database, drain: Drain
) -> None:
    block = await slack_block(api, receiver)
    policy_id = await create_policy(api, block)
    send = {"type": "send-notification", "block_document_id": block, "body": "x"}
    async with database.sessions.begin() as session:
        await session.execute(
            update(Automation)
            .where(Automation.id == policy_automation_id(UUID(policy_id)))
            .values(actions=[send, {"type": "do-nothing"}])
        )
    await fail_flow_run(api)
    await drain()

    assert messages_on("actions") == 1
    assert receiver.requests_to("/services/") == []
