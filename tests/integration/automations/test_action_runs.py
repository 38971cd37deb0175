"""The action runner: each action of a firing once, whatever happens to its message, with
the events Prefect's server emits for it."""

from __future__ import annotations

from uuid import UUID

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from actors.automation_actions import act_on_firing
from models.automations.action_runs import action_run_id
from models.db.database import Database
from models.messages.dead_letters import DeadLetter
from tests.integration.automations.firings import (
    action_runs_of,
    automation_events,
    insert_automation,
    insert_firing,
    latest_flow_run_event,
    start_flow_run,
)
from tests.running import Drain


async def test_a_firing_handed_over_three_times_runs_its_action_once(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(database, [{"type": "do-nothing"}])
    flow_run_id = await start_flow_run(api, states=("RUNNING", "FAILED"))
    event = await latest_flow_run_event(database, flow_run_id)
    firing_id = await insert_firing(database, automation_id, event)

    for _ in range(3):
        act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.id, run.status, run.attempts) == (
        action_run_id(UUID(firing_id), 0),
        "succeeded",
        1,
    )
    events = await automation_events(database, automation_id)
    assert [row.event for row in events] == [
        "prefect.automation.action.triggered",
        "prefect.automation.action.executed",
    ]
    triggered, executed = events
    assert triggered.payload == {
        "action_index": 0,
        "action_type": "do-nothing",
        "invocation": str(run.id),
    }
    assert triggered.resource["prefect.resource.name"] == "when it fails"
    assert triggered.resource["prefect.trigger-type"] == "event"
    assert triggered.resource["prefect.posture"] == "Reactive"
    assert {
        "prefect.resource.id": f"prefect.event.{event['id']}",
        "prefect.resource.role": "triggering-event",
    } in triggered.related
    assert executed.follows == triggered.id
    assert str(triggered.follows) == event["id"]


async def test_a_failing_action_is_recorded_with_its_reason_and_the_next_still_runs(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(
        database, [{"type": "launch-rocket"}, {"type": "do-nothing"}]
    )
    firing_id = await insert_firing(database, automation_id, None)

    act_on_firing.send(firing_id)
    act_on_firing.send(firing_id)
    await drain()

    failed, succeeded = await action_runs_of(database, firing_id)
    assert (failed.status, failed.reason, failed.attempts) == (
        "failed",
        "Unknown action type 'launch-rocket'",
        1,
    )
    assert succeeded.status == "succeeded"
    events = await automation_events(database, automation_id)
    [failed_event] = [row for row in events if row.event == "prefect.automation.action.failed"]
    assert failed_event.payload == {
        "action_index": 0,
        "action_type": "launch-rocket",
        "invocation": str(failed.id),
        "reason": "Unknown action type 'launch-rocket'",
    }
    assert len(events) == 4  # triggered + failed, triggered + executed


async def test_a_resolved_firing_runs_only_the_actions_on_resolve(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(
        database,
        [{"type": "launch-rocket"}],
        actions_on_resolve=[{"type": "do-nothing"}],
    )
    firing_id = await insert_firing(database, automation_id, None, kind="resolved")

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.action_type, run.status) == ("do-nothing", "succeeded")


async def test_a_firing_of_a_deleted_automation_runs_nothing(
    api: TestClient, database: Database, drain: Drain
) -> None:
    act_on_firing.send("7f0e4a52-1111-4b27-a7d9-2e5b91c4f038")
    await drain()

    assert await action_runs_of(database, "7f0e4a52-1111-4b27-a7d9-2e5b91c4f038") == []


async def test_a_message_that_names_no_firing_is_a_dead_letter_with_its_reason(
    api: TestClient, database: Database, drain: Drain
) -> None:
    act_on_firing.send("not-a-firing")
    await drain()

    async with database.read_sessions() as session:
        [letter] = list(await session.scalars(select(DeadLetter)))
    assert letter.actor_name == "act_on_firing"
    assert letter.reason.startswith("ValueError")


async def test_action_data_of_the_wrong_shape_fails_the_action_for_good(
    api: TestClient, database: Database, drain: Drain
) -> None:
    automation_id = await insert_automation(
        database,
        [
            {
                "type": "run-deployment",
                "deployment_id": "0b1f7a3c-0000-4000-8000-000000000000",
                "job_variables": "not a mapping",
            }
        ],
    )
    firing_id = await insert_firing(database, automation_id, None)

    act_on_firing.send(firing_id)
    await drain()

    [run] = await action_runs_of(database, firing_id)
    assert (run.status, run.attempts) == ("failed", 1)
    assert run.reason is not None and run.reason.startswith("ValidationError")
