"""Steps the action tests share: automations and firings stored as the evaluator stores
them, flow runs brought into a state through the API, and what the action runner recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from models.automations.action_runs import ActionRun
from models.automations.firings import Firing
from models.automations.tables import Automation
from models.db.database import Database
from models.events.tables import EventRow


async def insert_automation(
    database: Database,
    actions: list[dict[str, Any]],
    *,
    name: str = "when it fails",
    actions_on_resolve: list[dict[str, Any]] | None = None,
    notification_policy_id: UUID | None = None,
) -> UUID:
    """An enabled automation with these actions, whose trigger expects an event nobody
    sends: only the firings a test inserts run its actions."""
    automation_id = uuid4()
    async with database.sessions.begin() as session:
        session.add(
            Automation(
                id=automation_id,
                name=name,
                description="",
                enabled=True,
                tags=[],
                trigger={
                    "type": "event",
                    "id": str(uuid4()),
                    "posture": "Reactive",
                    "expect": ["signalbox.test.never-sent"],
                    "threshold": 1,
                    "within": 0,
                },
                actions=actions,
                actions_on_trigger=[],
                actions_on_resolve=actions_on_resolve or [],
                notification_policy_id=notification_policy_id,
            )
        )
    return automation_id


async def insert_firing(
    database: Database,
    automation_id: UUID,
    event: dict[str, Any] | None,
    *,
    kind: str = "triggered",
    labels: dict[str, Any] | None = None,
) -> str:
    """A firing of the automation, completed by `event`; returns its id as the message
    carries it."""
    firing_id = uuid4()
    async with database.sessions.begin() as session:
        session.add(
            Firing(
                id=firing_id,
                automation_id=automation_id,
                trigger_id=uuid4(),
                kind=kind,
                occurred=datetime.now(UTC),
                triggering_labels=labels or {},
                triggering_event=event,
                triggering_event_ids=[event["id"]] if event else [],
            )
        )
    return str(firing_id)


async def start_flow_run(
    api: TestClient,
    *,
    states: tuple[str, ...] = ("RUNNING",),
    tags: list[str] | None = None,
    flow_name: str = "etl-nightly",
) -> str:
    """A flow run moved through `states` after PENDING; returns its id."""
    flow = await (await api.post("/api/flows/", json={"name": flow_name})).json()
    response = await api.post(
        "/api/flow_runs/",
        json={
            "flow_id": flow["id"],
            "name": "aquatic-cockatoo",
            "tags": tags or [],
            "state": {"type": "PENDING"},
        },
    )
    flow_run = await response.json()
    for state_type in states:
        response = await api.post(
            f"/api/flow_runs/{flow_run['id']}/set_state",
            json={"state": {"type": state_type, "message": "ValueError: boom 7"}},
        )
        assert (await response.json())["status"] == "ACCEPT"
    return str(flow_run["id"])


async def latest_flow_run_event(database: Database, flow_run_id: str) -> dict[str, Any]:
    """The run's newest `prefect.flow-run.<State>` event, as a firing carries it."""
    async with database.read_sessions() as session:
        row = await session.scalar(
            select(EventRow)
            .where(EventRow.resource_id == f"prefect.flow-run.{flow_run_id}")
            .order_by(EventRow.occurred.desc())
            .limit(1)
        )
    assert row is not None
    return {
        "id": str(row.id),
        "occurred": row.occurred.isoformat(),
        "event": row.event,
        "resource": row.resource,
        "related": row.related,
        "payload": row.payload,
    }


async def action_runs_of(database: Database, firing_id: str) -> list[ActionRun]:
    async with database.read_sessions() as session:
        return list(
            await session.scalars(
                select(ActionRun)
                .where(ActionRun.firing_id == UUID(firing_id))
                .order_by(ActionRun.action_index)
            )
        )


async def automation_events(database: Database, automation_id: UUID) -> list[EventRow]:
    """The `prefect.automation.action.*` events about the automation, oldest first."""
    async with database.read_sessions() as session:
        return list(
            await session.scalars(
                select(EventRow)
                .where(
                    EventRow.resource_id == f"prefect.automation.{automation_id}",
                    EventRow.event.startswith("prefect.automation.action."),
                )
                .order_by(EventRow.occurred, EventRow.event)
            )
        )


async def flow_run_state(api: TestClient, flow_run_id: str) -> tuple[str, str]:
    flow_run = await (await api.get(f"/api/flow_runs/{flow_run_id}")).json()
    return flow_run["state"]["type"], flow_run["state"]["name"]
