"""The scheduler against the real database and workers: runs created ahead, once each;
overdue runs marked Late.

Deployments and schedules are inserted straight into their tables; the runs are read back
through the API, as a client reads them.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select, update

from actors import resources
from actors.scheduler import mark_late_flow_runs, schedule_deployments, schedule_recent_deployments
from models.coordination.deployments import Deployment, DeploymentSchedule
from models.coordination.scheduler import (
    SchedulingHorizon,
    deployments_to_schedule,
    insert_scheduled_runs,
    plan_scheduled_runs,
)
from models.coordination.work_pools import WorkPool, WorkQueue
from models.db.database import Database, open_database
from models.db.types import utcnow
from models.events.tables import EVENTS_CHANNEL, EventRow
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.settings import Settings
from tests.conftest import TEST_REDIS_URL
from tests.integration.test_flow_runs_api import make_flow_run, propose
from tests.running import Drain

HOURLY = {"interval": 3600.0, "anchor_date": "2026-01-01T00:00:00+00:00", "timezone": "UTC"}


async def add_deployment(
    database: Database,
    *schedules: dict[str, Any],
    paused: bool = False,
    updated: datetime | None = None,
    **fields: Any,
) -> Deployment:
    """A flow, a deployment of it with a work queue in a pool, and its schedules.

    Each schedule is the columns of a `deployment_schedule` row; `schedule` is required.
    """
    async with database.sessions.begin() as session:
        flow = Flow(name=f"flow-{uuid4().hex[:8]}")
        pool = WorkPool(name=f"pool-{uuid4().hex[:8]}", type="process")
        session.add_all([flow, pool])
        await session.flush()
        queue = WorkQueue(work_pool_id=pool.id, name="default")
        session.add(queue)
        await session.flush()
        deployment = Deployment(
            name=f"deployment-{uuid4().hex[:8]}",
            flow_id=flow.id,
            paused=paused,
            work_queue_id=queue.id,
            work_queue_name=queue.name,
            **fields,
        )
        session.add(deployment)
        await session.flush()
        for schedule in schedules:
            session.add(DeploymentSchedule(deployment_id=deployment.id, **schedule))
        if updated is not None:
            await session.flush()
            await session.execute(
                update(Deployment).where(Deployment.id == deployment.id).values(updated=updated)
            )
    return deployment


async def runs_of(database: Database, deployment_id: UUID) -> list[FlowRun]:
    async with database.read_sessions() as session:
        return list(
            await session.scalars(
                select(FlowRun)
                .where(FlowRun.deployment_id == deployment_id)
                .order_by(FlowRun.expected_start_time)
            )
        )


def next_hours(count: int, now: datetime) -> list[datetime]:
    """The next `count` whole hours at or after `now` (the HOURLY schedule's times)."""
    first = now.replace(minute=0, second=0, microsecond=0)
    if first < now:
        first += timedelta(hours=1)
    return [first + timedelta(hours=index) for index in range(count)]


async def test_runs_are_created_ahead_with_the_deployments_fields_and_a_scheduled_state(
    database: Database, api: TestClient, drain: Drain
) -> None:
    deployment = await add_deployment(
        database,
        {"schedule": HOURLY, "parameters": {"b": 3}, "slug": "hourly"},
        parameters={"a": 1, "b": 2},
        tags=["nightly"],
        labels={"team": "data"},
        version="v7",
    )
    before = utcnow()
    schedule_deployments.send()
    await drain()

    runs = await runs_of(database, deployment.id)
    # Three runs (the minimum), the last of them at least an hour ahead.
    times = [run.expected_start_time for run in runs]
    assert times in (next_hours(3, before), next_hours(3, utcnow()))
    [schedule_id] = {run.created_by["id"] for run in runs if run.created_by}
    for run in runs:
        answer = await (await api.get(f"/api/flow_runs/{run.id}")).json()
        assert answer["state_type"] == "SCHEDULED" and answer["state_name"] == "Scheduled"
        assert answer["state"]["message"] == "Flow run scheduled"
        scheduled = datetime.fromisoformat(answer["state"]["state_details"]["scheduled_time"])
        assert scheduled == run.expected_start_time == run.next_scheduled_start_time
        assert answer["auto_scheduled"] is True
        assert answer["parameters"] == {"a": 1, "b": 3}  # the schedule's win
        assert answer["tags"] == ["auto-scheduled", "nightly"]
        assert answer["labels"] == {
            "team": "data",
            "prefect.flow.id": str(deployment.flow_id),
            "prefect.deployment.id": str(deployment.id),
        }
        assert answer["deployment_version"] == "v7"
        assert answer["work_queue_name"] == "default"
        assert answer["work_pool_name"] and answer["work_pool_name"].startswith("pool-")
        assert answer["created_by"]["type"] == "SCHEDULE"
        assert answer["created_by"]["display_value"] == "hourly"
        local = run.expected_start_time.isoformat()
        assert answer["idempotency_key"] == f"scheduled {deployment.id} {schedule_id} {local}"
        history = await (await api.get(f"/api/flow_run_states/?flow_run_id={run.id}")).json()
        assert [(state["type"], state["id"]) for state in history] == [
            ("SCHEDULED", answer["state"]["id"])
        ]


async def test_a_deployment_with_its_runs_is_not_picked_again(
    database: Database, settings: Settings
) -> None:
    deployment = await add_deployment(database, {"schedule": HOURLY})
    horizon = SchedulingHorizon.from_settings(settings)
    now = utcnow()
    async with database.read_sessions() as session:
        page = await deployments_to_schedule(session, horizon, now=now)
        assert page.short_of_runs == [deployment.id] and page.next_after is None
        runs = await plan_scheduled_runs(session, [deployment.id], horizon, now=now)
    await database.write(lambda session: insert_scheduled_runs(session, runs))
    async with database.read_sessions() as session:
        assert (await deployments_to_schedule(session, horizon, now=now)).short_of_runs == []
        # A higher minimum, or a later time, makes it short of runs again.
        more = SchedulingHorizon(min_runs=5)
        page = await deployments_to_schedule(session, more, now=now)
        assert page.short_of_runs == [deployment.id]
        later = now + timedelta(hours=2)
        page = await deployments_to_schedule(session, horizon, now=later)
        assert page.short_of_runs == [deployment.id]


async def test_scheduling_twice_at_once_and_again_creates_each_run_once(
    database: Database, settings: Settings, drain: Drain
) -> None:
    deployment = await add_deployment(database, {"schedule": HOURLY})
    horizon = SchedulingHorizon.from_settings(settings)
    now = utcnow()
    async with database.read_sessions() as session:
        first = await plan_scheduled_runs(session, [deployment.id], horizon, now=now)
        second = await plan_scheduled_runs(session, [deployment.id], horizon, now=now)
    # Two processes: two writer threads, two connections, racing on the same keys.
    other = open_database(settings)
    try:
        inserted = await asyncio.gather(
            database.write(lambda session: insert_scheduled_runs(session, first)),
            other.write(lambda session: insert_scheduled_runs(session, second)),
        )
    finally:
        await other.dispose()
    assert sorted(len(ids) for ids in inserted) == [0, 3]
    # And the actor, twice (a retried message), on top.
    schedule_deployments.send()
    schedule_deployments.send()
    await drain()
    runs = await runs_of(database, deployment.id)
    assert len(runs) == 3
    async with database.read_sessions() as session:
        states = await session.scalar(
            select(func.count())
            .select_from(FlowRunState)
            .where(FlowRunState.flow_run_id.in_([run.id for run in runs]))
        )
    assert states == 3


async def test_max_scheduled_runs_caps_a_schedules_runs(
    database: Database, drain: Drain, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_minute = {**HOURLY, "interval": 60.0}
    capped = await add_deployment(database, {"schedule": every_minute, "max_scheduled_runs": 2})
    free = await add_deployment(database, {"schedule": every_minute})
    schedule_deployments.send()
    await drain()
    assert len(await runs_of(database, capped.id)) == 2
    # Uncapped, a minute schedule fills the hour ahead (the minimum time) and one more.
    assert len(await runs_of(database, free.id)) in (61, 62)
    # A larger minimum count changes nothing for the capped one.
    many = resources.settings().model_copy(update={"scheduler_min_runs": 10})
    monkeypatch.setattr(resources, "_settings", many)
    schedule_deployments.send()
    await drain()
    assert len(await runs_of(database, capped.id)) == 2


async def test_the_horizon_settings_bound_the_runs(
    database: Database, drain: Drain, monkeypatch: pytest.MonkeyPatch
) -> None:
    every_minute = {**HOURLY, "interval": 60.0}
    deployment = await add_deployment(database, {"schedule": every_minute})
    await drain()  # the workers have booted: their settings can be replaced
    narrow = resources.settings().model_copy(
        update={"scheduler_max_runs": 5, "scheduler_min_scheduled_time_seconds": 86400.0}
    )
    monkeypatch.setattr(resources, "_settings", narrow)
    schedule_deployments.send()
    await drain()
    assert len(await runs_of(database, deployment.id)) == 5


async def test_inactive_schedules_and_paused_deployments_get_no_runs(
    database: Database, drain: Drain
) -> None:
    inactive = await add_deployment(database, {"schedule": HOURLY, "active": False})
    paused = await add_deployment(database, {"schedule": HOURLY}, paused=True)
    active = await add_deployment(database, {"schedule": HOURLY})
    schedule_deployments.send()
    schedule_recent_deployments.send()
    await drain()
    assert await runs_of(database, inactive.id) == []
    assert await runs_of(database, paused.id) == []
    assert len(await runs_of(database, active.id)) == 3


async def test_each_schedule_of_a_deployment_gets_its_own_runs(
    database: Database, drain: Drain
) -> None:
    daily_nine = {"cron": "0 9 * * *", "timezone": "America/New_York", "day_or": True}
    deployment = await add_deployment(
        database, {"schedule": HOURLY}, {"schedule": daily_nine, "parameters": {"x": 1}}
    )
    schedule_deployments.send()
    await drain()
    runs = await runs_of(database, deployment.id)
    cron_runs = [run for run in runs if run.parameters == {"x": 1}]
    assert len(runs) == 6 and len(cron_runs) == 3
    for run in cron_runs:  # 9 am in New York, whatever the offset of the day
        assert run.expected_start_time is not None
        local = run.expected_start_time.astimezone(ZoneInfo("America/New_York"))
        assert (local.hour, local.minute) == (9, 0)
        assert run.created_by and run.created_by["display_value"] == "CronSchedule"


async def test_the_quick_pass_schedules_only_recently_changed_deployments(
    database: Database, drain: Drain
) -> None:
    fresh = await add_deployment(database, {"schedule": HOURLY})
    old = await add_deployment(
        database, {"schedule": HOURLY}, updated=utcnow() - timedelta(minutes=10)
    )
    schedule_recent_deployments.send()
    await drain()
    assert len(await runs_of(database, fresh.id)) == 3
    assert await runs_of(database, old.id) == []


async def scheduled_run(api: TestClient, at: datetime, name: str = "Scheduled") -> str:
    run = await make_flow_run(
        api,
        state={
            "type": "SCHEDULED",
            "name": name,
            "state_details": {"scheduled_time": at.isoformat()},
        },
    )
    return str(run["id"])


async def test_overdue_runs_are_marked_late_and_the_state_is_published(
    database: Database, api: TestClient, drain: Drain
) -> None:
    now = utcnow()
    overdue = await scheduled_run(api, now - timedelta(minutes=5))
    in_grace = await scheduled_run(api, now - timedelta(seconds=2))  # within the 15 s
    future = await scheduled_run(api, now + timedelta(hours=1))
    started = await scheduled_run(api, now - timedelta(minutes=5))
    await propose(api, started, "PENDING")

    subscriber = redis.asyncio.Redis.from_url(TEST_REDIS_URL)
    channel = subscriber.pubsub()
    await channel.subscribe(EVENTS_CHANNEL)
    try:
        mark_late_flow_runs.send()
        await drain()
        published = await published_events(channel, "prefect.flow-run.Late")
    finally:
        await channel.aclose()
        await subscriber.aclose()

    late = await (await api.get(f"/api/flow_runs/{overdue}")).json()
    assert (late["state_type"], late["state_name"]) == ("SCHEDULED", "Late")
    assert late["state"]["state_details"]["scheduled_time"] is not None
    history = await (await api.get(f"/api/flow_run_states/?flow_run_id={overdue}")).json()
    assert [state["name"] for state in history] == ["Scheduled", "Late"]
    assert [event["resource"]["prefect.resource.id"] for event in published] == [
        f"prefect.flow-run.{overdue}"
    ]
    async with database.read_sessions() as session:
        stored = await session.scalar(
            select(func.count()).where(EventRow.event == "prefect.flow-run.Late")
        )
    assert stored == 1
    for run_id, name in ((in_grace, "Scheduled"), (future, "Scheduled"), (started, "Pending")):
        answer = await (await api.get(f"/api/flow_runs/{run_id}")).json()
        assert answer["state_name"] == name

    # Again: a Late run is not marked twice.
    mark_late_flow_runs.send()
    await drain()
    history = await (await api.get(f"/api/flow_run_states/?flow_run_id={overdue}")).json()
    assert [state["name"] for state in history] == ["Scheduled", "Late"]


async def published_events(
    channel: redis.asyncio.client.PubSub, name: str, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """The events called `name` published on the channel, until one arrives or time is up."""
    found: list[dict[str, Any]] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while not found and asyncio.get_running_loop().time() < deadline:
        message = await channel.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is not None:
            found += [event for event in json.loads(message["data"]) if event["event"] == name]
    # Anything else already there (a second copy would be a bug).
    while message := await channel.get_message(ignore_subscribe_messages=True, timeout=0.2):
        found += [event for event in json.loads(message["data"]) if event["event"] == name]
    return found


async def test_the_grace_period_is_a_setting(
    database: Database, api: TestClient, drain: Drain, monkeypatch: pytest.MonkeyPatch
) -> None:
    recent = await scheduled_run(api, utcnow() - timedelta(seconds=2))
    await drain()  # the workers have booted: their settings can be replaced
    strict = resources.settings().model_copy(update={"late_runs_after_seconds": 0.0})
    monkeypatch.setattr(resources, "_settings", strict)
    mark_late_flow_runs.send()
    await drain()
    answer = await (await api.get(f"/api/flow_runs/{recent}")).json()
    assert answer["state_name"] == "Late"


async def test_deployments_are_looked_at_a_page_at_a_time(
    database: Database, settings: Settings
) -> None:
    deployments = sorted(
        [(await add_deployment(database, {"schedule": HOURLY})).id for _ in range(3)]
    )
    await add_deployment(database, {"schedule": HOURLY}, paused=True)  # never looked at
    horizon = SchedulingHorizon.from_settings(settings)
    now = utcnow()
    async with database.read_sessions() as session:
        first = await deployments_to_schedule(session, horizon, now=now, limit=2)
        assert (first.short_of_runs, first.next_after) == (deployments[:2], deployments[1])
        second = await deployments_to_schedule(
            session, horizon, now=now, after=first.next_after, limit=2
        )
        assert (second.short_of_runs, second.next_after) == (deployments[2:], None)
