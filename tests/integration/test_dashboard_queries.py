"""What the dashboard and the flow pages read: runs counted per interval by the database,
each flow's latest run, bounded counts, failing channels, dead letters, workers online."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from models.coordination.deployments import Deployment, count_deployments_of_flows
from models.coordination.work_pools import Worker, WorkPool
from models.coordination.workers import count_online_workers
from models.db.database import Database
from models.filters.bodies import FlowRunFilterBody
from models.messages.dead_letters import count_dead_letters, record_dead_letter
from models.notifications.deliveries import Delivery
from models.notifications.history import read_failing_channels
from models.runs.flow_run_listing import filter_flow_runs, filter_flow_runs_ids_first
from models.runs.flow_runs import FlowRun
from models.runs.flows import Flow, read_flow_names, read_latest_flow_runs
from models.runs.run_history import count_flow_runs_by_interval, flow_run_history
from models.schemas.run_history import FlowRunHistoryBody
from models.states import StateType

NOW = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
WINDOW_START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def flow_run(
    flow: Flow, state_type: StateType | None, expected: datetime, **fields: Any
) -> FlowRun:
    return FlowRun(
        id=uuid4(),
        flow_id=flow.id,
        name=f"run-{uuid4().hex[:8]}",
        state_type=state_type,
        state_name=fields.pop("state_name", state_type.value.title() if state_type else None),
        expected_start_time=expected,
        **fields,
    )


async def add(database: Database, *rows: Any) -> None:
    async with database.sessions.begin() as session:
        session.add_all(rows)


def history(flow: Flow) -> FlowRunHistoryBody:
    return FlowRunHistoryBody.model_validate(
        {
            "history_start": WINDOW_START,
            "history_end": WINDOW_START + 3 * HOUR,
            "history_interval_seconds": 3600,
            "flows": {"id": {"any_": [flow.id]}},
        }
    )


async def test_runs_are_counted_per_interval_and_state_type_as_the_history_counts_them(
    database: Database,
) -> None:
    flow, other = Flow(name="counted"), Flow(name="other")
    await add(database, flow, other)
    runs = [
        flow_run(flow, StateType.COMPLETED, WINDOW_START),  # the first instant is in
        flow_run(flow, StateType.COMPLETED, WINDOW_START + timedelta(minutes=59, seconds=59.9)),
        flow_run(flow, StateType.FAILED, WINDOW_START + timedelta(minutes=5)),
        # Two names of one type are one count: the chart stacks by state type.
        flow_run(flow, StateType.SCHEDULED, WINDOW_START + 2 * HOUR, state_name="Late"),
        flow_run(flow, StateType.SCHEDULED, WINDOW_START + 2.5 * HOUR),
        flow_run(flow, StateType.COMPLETED, WINDOW_START + 3 * HOUR),  # the end is out
        flow_run(flow, StateType.COMPLETED, WINDOW_START - timedelta(microseconds=1)),
        flow_run(flow, None, WINDOW_START + HOUR),  # no state yet: not drawn
        flow_run(other, StateType.FAILED, WINDOW_START + HOUR),  # another flow's
    ]
    await add(database, *runs)
    async with database.read_sessions() as session:
        counted = await count_flow_runs_by_interval(session, history(flow))
        reference = await flow_run_history(session, history(flow), NOW)
    assert [(interval.start, interval.end) for interval in counted] == [
        (WINDOW_START + n * HOUR, WINDOW_START + (n + 1) * HOUR) for n in range(3)
    ]
    assert [interval.counts for interval in counted] == [
        {StateType.COMPLETED: 2, StateType.FAILED: 1},
        {},
        {StateType.SCHEDULED: 2},
    ]
    assert [interval.total for interval in counted] == [3, 0, 2]
    # The API's history, its names summed by type, counts the same runs.
    by_type = [
        {state_type: sum(s.count_runs for s in interval.states if s.state_type == state_type)
         for state_type in {s.state_type for s in interval.states}}
        for interval in reference
    ]  # fmt: skip
    assert by_type == [interval.counts for interval in counted]


async def test_each_flow_has_its_latest_started_run_and_its_deployment_count(
    database: Database,
) -> None:
    flow, unstarted, idle = Flow(name="busy"), Flow(name="unstarted"), Flow(name="idle")
    await add(database, flow, unstarted, idle)
    earlier = flow_run(flow, StateType.COMPLETED, NOW - 3 * HOUR, start_time=NOW - 3 * HOUR)
    latest = flow_run(flow, StateType.FAILED, NOW - 2 * HOUR, start_time=NOW - HOUR)
    # Expected later, never started: not the flow's latest run.
    scheduled = flow_run(flow, StateType.SCHEDULED, NOW + HOUR)
    waiting = flow_run(unstarted, StateType.SCHEDULED, NOW)
    deployments = [Deployment(name=f"d{n}", flow_id=flow.id) for n in range(2)]
    await add(database, earlier, latest, scheduled, waiting, *deployments)
    flow_ids = [flow.id, unstarted.id, idle.id]
    async with database.read_sessions() as session:
        latest_runs = await read_latest_flow_runs(session, flow_ids)
        counts = await count_deployments_of_flows(session, flow_ids)
        names = await read_flow_names(session, [flow.id, idle.id, uuid4()])
    assert {flow_id: run.id for flow_id, run in latest_runs.items()} == {flow.id: latest.id}
    assert counts == {flow.id: 2}
    assert names == {flow.id: "busy", idle.id: "idle"}


async def test_a_page_found_ids_first_is_the_page_the_listing_answers(
    database: Database,
) -> None:
    flow, other = Flow(name="paged"), Flow(name="unpaged")
    await add(database, flow, other)
    # Ties on the expected start: the id decides, on both ways alike.
    expected = [NOW - (n // 2) * HOUR for n in range(12)]
    await add(database, *(flow_run(flow, StateType.COMPLETED, moment) for moment in expected))
    await add(database, flow_run(other, StateType.COMPLETED, NOW))
    body = FlowRunFilterBody.model_validate(
        {
            "flows": {"id": {"any_": [flow.id]}},
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": 5,
            "offset": 3,
        }
    )
    async with database.read_sessions() as session:
        listed = await filter_flow_runs(session, body)
        ids_first = await filter_flow_runs_ids_first(session, body)
    assert len(listed) == 5
    assert [tuple(row) for row in ids_first] == [tuple(row) for row in listed]


def delivery(channel: str, status: str, created: datetime, error: str | None = None) -> Delivery:
    return Delivery(
        channel=channel, status=status, created=created, updated=created, last_error=error
    )


async def test_failing_channels_count_recent_failures_with_the_latest_error(
    database: Database,
) -> None:
    since = NOW - 24 * HOUR
    await add(
        database,
        delivery("slack", "failed", NOW - 2 * HOUR, "HTTP 404"),
        delivery("slack", "dead", NOW - HOUR, "HTTP 503 after 3 attempts"),
        delivery("webhook", "dead", NOW - 3 * HOUR, "timed out"),
        delivery("discord", "delivered", NOW - HOUR),
        delivery("teams", "pending", NOW - HOUR),
        delivery("teams", "failed", since - HOUR, "too old to count"),
    )
    async with database.read_sessions() as session:
        failing = await read_failing_channels(session, since)
    assert [(c.channel, c.failed, c.last_error) for c in failing] == [
        ("slack", 2, "HTTP 503 after 3 attempts"),
        ("webhook", 1, "timed out"),
    ]
    assert failing[0].last_failed == NOW - HOUR


async def test_dead_letters_are_counted_per_queue(database: Database) -> None:
    async with database.sessions.begin() as session:
        for queue, message_id in (("state", "a"), ("state", "b"), ("notify.slack", "c")):
            await record_dead_letter(
                session,
                message_id=message_id,
                queue_name=queue,
                actor_name="persist",
                message={"id": message_id},
                reason="boom",
            )
    async with database.read_sessions() as session:
        assert await count_dead_letters(session) == {"notify.slack": 1, "state": 2}


async def test_workers_online_are_counted_by_their_own_heartbeat_interval(
    database: Database,
) -> None:
    pool, quiet = WorkPool(name="pool", type="process"), WorkPool(name="quiet", type="process")
    await add(database, pool, quiet)
    await add(
        database,
        Worker(work_pool_id=pool.id, name="beating", last_heartbeat_time=NOW - 10 * SECOND),
        # Silent for 100 s: offline at the default 30 s interval, online at a 60 s one.
        Worker(
            work_pool_id=pool.id,
            name="slow",
            last_heartbeat_time=NOW - timedelta(seconds=100),
            heartbeat_interval_seconds=60,
        ),
        Worker(work_pool_id=pool.id, name="gone", last_heartbeat_time=NOW - timedelta(seconds=100)),
        Worker(work_pool_id=pool.id, name="ancient", last_heartbeat_time=NOW - 48 * HOUR),
        Worker(work_pool_id=quiet.id, name="never", last_heartbeat_time=None),
    )
    async with database.read_sessions() as session:
        online = await count_online_workers(session, [pool.id, quiet.id], NOW)
    assert online == {pool.id: 2, quiet.id: 0}
