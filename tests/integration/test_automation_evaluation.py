"""Trigger evaluation end to end: automations made through the API, events stored by the
real ingest and state actors, firings read from the database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from actors.automations import (
    evaluate_events,
    evaluate_proactive_triggers,
    resend_unacted_firings,
    sweep_events_for_automations,
)
from actors.ingest import persist_events
from models.automations.enabled_rules import read_enabled_rules
from models.automations.evaluation import evaluate_events as count_events
from models.automations.evaluation import read_candidate_events
from models.automations.firing_handover import ACTION_RUNS
from models.automations.firings import Firing
from models.automations.policy_automations import policy_automation_id
from models.automations.tables import Automation
from models.automations.trigger_state import AutomationBucket
from models.db.database import Database
from models.db.metadata import metadata
from models.db.types import utcnow
from models.events.tables import EventRow, insert_events
from tests.integration.notifications.scenario import create_block, create_policy, fail_flow_run
from tests.running import Drain

DO_NOTHING = [{"type": "do-nothing"}]


def flow_run_event(
    state: str,
    *,
    flow_run_id: str | None = None,
    flow_name: str = "etl",
    seconds_ago: float = 0.0,
) -> dict[str, Any]:
    """A `prefect.flow-run.<state>` event as the server writes it."""
    run = flow_run_id or str(uuid4())
    occurred = (utcnow() - timedelta(seconds=seconds_ago)).isoformat()
    return {
        "id": str(uuid4()),
        "occurred": occurred,
        "event": f"prefect.flow-run.{state}",
        "resource": {
            "prefect.resource.id": f"prefect.flow-run.{run}",
            "prefect.state-name": state,
        },
        "related": [
            {
                "prefect.resource.id": f"prefect.flow.{uuid4()}",
                "prefect.resource.role": "flow",
                "prefect.resource.name": flow_name,
            }
        ],
        "payload": {},
    }


async def create_automation(
    api: TestClient, trigger: dict[str, Any], *, enabled: bool = True
) -> dict[str, Any]:
    response = await api.post(
        "/api/automations/",
        json={
            "name": f"a-{uuid4().hex[:6]}",
            "enabled": enabled,
            "trigger": trigger,
            "actions": DO_NOTHING,
        },
    )
    assert response.status == 201, await response.text()
    return dict(await response.json())


def failed_flow_named(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "event",
        "posture": "Reactive",
        "expect": ["prefect.flow-run.Failed"],
        "match_related": {"prefect.resource.role": "flow", "prefect.resource.name": name},
        **fields,
    }


async def store_events(drain: Drain, events: Sequence[dict[str, Any]]) -> None:
    """Hand the events to the ingest actor, as the API does, and wait for what follows."""
    persist_events.send(list(events))
    await drain()


async def firings_of(database: Database, automation_id: str) -> list[Firing]:
    async with database.read_sessions() as session:
        return list(
            await session.scalars(
                select(Firing)
                .where(Firing.automation_id == UUID(automation_id))
                .order_by(Firing.occurred)
            )
        )


async def test_a_reactive_trigger_fires_once_for_the_event_and_records_why(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"))
    failed = flow_run_event("Failed")
    await store_events(drain, [failed, flow_run_event("Completed")])

    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_event is not None
    assert firing.triggering_event["id"] == failed["id"]
    assert firing.triggering_event_ids == [failed["id"]]
    async with database.read_sessions() as session:
        [announced] = await session.scalars(
            select(EventRow).where(EventRow.event == "prefect.automation.triggered")
        )
    assert announced.resource["prefect.resource.id"] == f"prefect.automation.{automation['id']}"
    assert announced.resource["prefect.posture"] == "Reactive"
    assert announced.related == [
        {
            "prefect.resource.id": f"prefect.event.{failed['id']}",
            "prefect.resource.role": "triggering-event",
        }
    ]
    assert announced.payload["triggering_event"]["id"] == failed["id"]


async def test_a_flow_of_another_name_fires_nothing(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"))
    await store_events(drain, [flow_run_event("Failed", flow_name="reports")])
    assert await firings_of(database, automation["id"]) == []


async def test_a_twice_delivered_or_replayed_event_fires_once(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"))
    failed = flow_run_event("Failed")
    await store_events(drain, [failed])
    await store_events(drain, [failed])  # the client sent it again
    evaluate_events.send([failed["id"]])  # a redelivered evaluation message
    sweep_events_for_automations.send()  # and the sweep reads it back too
    await drain()
    assert len(await firings_of(database, automation["id"])) == 1


async def test_a_threshold_fires_when_reached_within_the_window_and_not_before(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl", threshold=3, within=3600))
    await store_events(drain, [flow_run_event("Failed", seconds_ago=30) for _ in range(2)])
    assert await firings_of(database, automation["id"]) == []

    third = flow_run_event("Failed", seconds_ago=10)
    await store_events(drain, [third])
    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_event is not None and firing.triggering_event["id"] == third["id"]
    assert len(firing.triggering_event_ids) == 3


async def test_for_each_counts_each_flow_run_in_its_own_bucket(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(
        api,
        failed_flow_named("etl", threshold=2, within=3600, for_each=["prefect.resource.id"]),
    )
    first, second = str(uuid4()), str(uuid4())
    await store_events(
        drain,
        [
            flow_run_event("Failed", flow_run_id=first, seconds_ago=3),
            flow_run_event("Failed", flow_run_id=second, seconds_ago=2),
            flow_run_event("Failed", flow_run_id=first, seconds_ago=1),
        ],
    )
    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_labels == {"prefect.resource.id": f"prefect.flow-run.{first}"}


async def test_a_proactive_trigger_fires_when_a_run_is_still_running_past_its_window(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(
        api,
        {
            "type": "event",
            "posture": "Proactive",
            "after": ["prefect.flow-run.Running"],
            "expect": ["prefect.flow-run.Completed", "prefect.flow-run.Failed"],
            "for_each": ["prefect.resource.id"],
            "within": 10,
        },
    )
    stuck, finished = str(uuid4()), str(uuid4())
    await store_events(
        drain,
        [
            flow_run_event("Running", flow_run_id=stuck, seconds_ago=30),
            flow_run_event("Running", flow_run_id=finished, seconds_ago=30),
            flow_run_event("Completed", flow_run_id=finished, seconds_ago=25),
        ],
    )
    assert await firings_of(database, automation["id"]) == []  # only the clock can tell

    evaluate_proactive_triggers.send()
    await drain()
    evaluate_proactive_triggers.send()  # a second look, or a second clock, adds nothing
    await drain()
    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_labels == {"prefect.resource.id": f"prefect.flow-run.{stuck}"}
    assert firing.triggering_event is not None
    assert firing.triggering_event["event"] == "prefect.flow-run.Running"


async def test_a_proactive_trigger_without_for_each_fires_when_its_window_passes_quietly(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(
        api, {"type": "event", "posture": "Proactive", "expect": ["heartbeat"], "within": 10}
    )
    evaluate_proactive_triggers.send()  # opens the first window
    await drain()
    async with database.sessions.begin() as session:
        # The window opened at the first look; move it into the past rather than wait.
        bucket = await session.scalar(select(AutomationBucket))
        assert bucket is not None
        bucket.start, bucket.end = (
            bucket.start - timedelta(minutes=1),
            bucket.end - timedelta(minutes=1),
        )
    evaluate_proactive_triggers.send()
    await drain()
    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_event is None


async def test_a_compound_trigger_fires_once_all_its_children_have_fired(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(
        api,
        {
            "type": "compound",
            "require": "all",
            "within": 3600,
            "triggers": [failed_flow_named("etl"), failed_flow_named("reports")],
        },
    )
    await store_events(drain, [flow_run_event("Failed", flow_name="etl")])
    assert await firings_of(database, automation["id"]) == []
    await store_events(drain, [flow_run_event("Failed", flow_name="reports")])
    [firing] = await firings_of(database, automation["id"])
    assert str(firing.trigger_id) == automation["trigger"]["id"]


async def test_a_sequence_trigger_fires_only_for_its_children_in_order(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(
        api,
        {
            "type": "sequence",
            "within": 3600,
            "triggers": [failed_flow_named("extract"), failed_flow_named("load")],
        },
    )
    await store_events(
        drain,
        [
            flow_run_event("Failed", flow_name="load", seconds_ago=20),
            flow_run_event("Failed", flow_name="extract", seconds_ago=10),
        ],
    )
    assert await firings_of(database, automation["id"]) == []
    await store_events(drain, [flow_run_event("Failed", flow_name="load", seconds_ago=1)])
    assert len(await firings_of(database, automation["id"])) == 1


async def test_a_disabled_automation_fires_nothing(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"), enabled=False)
    await store_events(drain, [flow_run_event("Failed")])
    assert await firings_of(database, automation["id"]) == []


async def test_an_event_nobody_sent_to_the_evaluator_is_found_by_the_sweep(
    api: TestClient, drain: Drain, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"))
    failed = flow_run_event("Failed")
    await database.write(lambda session: insert_events(session, [failed]))  # as the API does
    assert await firings_of(database, automation["id"]) == []
    sweep_events_for_automations.send()
    await drain()
    [firing] = await firings_of(database, automation["id"])
    assert firing.triggering_event is not None and firing.triggering_event["id"] == failed["id"]


async def evaluate_stored(database: Database, event_ids: list[str]) -> list[UUID]:
    """Evaluate stored events in a transaction of their own; the ids of the new firings."""
    now = utcnow()
    async with database.read_sessions() as session:
        automations = await read_enabled_rules(session)
        events = await read_candidate_events(
            session, [UUID(each) for each in event_ids], received_after=now - timedelta(days=1)
        )
    async with database.sessions.begin() as session:
        return (await count_events(session, automations, events, now)).firing_ids


async def test_two_evaluators_of_one_batch_at_once_fire_once(
    api: TestClient, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl", threshold=2, within=60))
    batch = [flow_run_event("Failed"), flow_run_event("Failed")]
    await database.write(lambda session: insert_events(session, batch))
    ids = [event["id"] for event in batch]
    first, second = await asyncio.gather(
        evaluate_stored(database, ids), evaluate_stored(database, ids)
    )
    assert len(first) + len(second) == 1
    assert len(await firings_of(database, automation["id"])) == 1


async def test_an_evaluation_that_dies_before_commit_leaves_nothing_and_its_retry_fires_once(
    api: TestClient, database: Database
) -> None:
    automation = await create_automation(api, failed_flow_named("etl"))
    failed = flow_run_event("Failed")
    await database.write(lambda session: insert_events(session, [failed]))

    class WorkerKilled(Exception):
        pass

    with pytest.raises(WorkerKilled):
        async with database.sessions.begin() as session:
            async with database.read_sessions() as reading:
                automations = await read_enabled_rules(reading)
                events = await read_candidate_events(
                    reading, [UUID(failed["id"])], received_after=utcnow() - timedelta(days=1)
                )
            assert (await count_events(session, automations, events, utcnow())).firing_ids
            raise WorkerKilled
    assert await firings_of(database, automation["id"]) == []
    assert len(await evaluate_stored(database, [failed["id"]])) == 1
    assert await evaluate_stored(database, [failed["id"]]) == []


async def test_a_notification_policy_is_an_automation_fired_by_the_flow_run_state_event(
    api: TestClient, drain: Drain, database: Database
) -> None:
    block = await create_block(api, "slack-webhook", {"url": "http://127.0.0.1:9/hook"})
    policy_id = await create_policy(api, block, state_names=["Failed"], tags=["nightly"])
    automation_id = str(policy_automation_id(UUID(policy_id)))

    untagged = await fail_flow_run(api)
    tagged = await fail_flow_run(api, tags=["nightly", "etl"])
    await drain()

    [firing] = await firings_of(database, automation_id)
    assert firing.triggering_event is not None
    assert (
        firing.triggering_event["resource"]["prefect.resource.id"] == f"prefect.flow-run.{tagged}"
    )
    assert firing.triggering_event["event"] == "prefect.flow-run.Failed"
    async with database.read_sessions() as session:
        state_id = await session.scalar(
            select(EventRow.id).where(
                EventRow.resource_id == f"prefect.flow-run.{tagged}",
                EventRow.event == "prefect.flow-run.Failed",
            )
        )
    assert firing.triggering_event["id"] == str(state_id)  # the state event's id is the state's
    assert untagged != tagged

    # Deactivating the policy disables its automation; the API does not list it.
    response = await api.patch(
        f"/api/flow_run_notification_policies/{policy_id}", json={"is_active": False}
    )
    assert response.status == 204, await response.text()
    async with database.read_sessions() as session:
        kept = await session.get(Automation, UUID(automation_id))
    assert kept is not None and kept.enabled is False
    listed = await (await api.post("/api/automations/filter", json={})).json()
    assert automation_id not in {each["id"] for each in listed}
    await fail_flow_run(api, tags=["nightly"])
    await drain()
    assert len(await firings_of(database, automation_id)) == 1


async def test_a_firing_whose_actions_never_started_is_handed_over_again(
    api: TestClient, drain: Drain, database: Database
) -> None:
    if ACTION_RUNS not in metadata.tables:
        pytest.skip("the action runner's table is not in this build")
    automation = await create_automation(api, failed_flow_named("etl"))
    firing_id = uuid4()
    long_ago = utcnow() - timedelta(minutes=5)
    async with database.sessions.begin() as session:
        # As left by an evaluator killed between its commit and handing the firing over.
        session.add(
            Firing(
                id=firing_id,
                created=long_ago,
                automation_id=UUID(automation["id"]),
                trigger_id=UUID(automation["trigger"]["id"]),
                kind="triggered",
                occurred=long_ago,
                triggering_labels={},
                triggering_event=None,
                triggering_event_ids=[],
            )
        )
    resend_unacted_firings.send()
    await drain()
    action_runs = metadata.tables[ACTION_RUNS]
    async with database.read_sessions() as session:
        started = await session.scalar(
            select(func.count())
            .select_from(action_runs)
            .where(action_runs.c.firing_id == firing_id)
        )
    assert started == 1
