"""Messages queued by the previous version, in its exact JSON, are still read and stored.

A message waits in Redis across an upgrade, so each actor's argument is written here as a
literal, as that version's API (or actor) queued it, not built with today's classes.
Announcements, with and without `parent_task_run_id`, are read in test_flow_runs_api.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from actors.counters import release_task_run_slots
from actors.ingest import persist_events, persist_logs
from actors.persistence import record_task_run_events
from models.db.database import Database
from models.events.tables import EventRow
from models.runs.logs import Log
from models.runs.task_runs import TaskRun
from tests.integration.events import task_run_lifecycle
from tests.integration.test_actors import dead_letters
from tests.integration.test_concurrency_leases import acquire
from tests.integration.test_concurrency_limits_api import create_limit, read_limit
from tests.running import Drain


async def test_a_log_batch_as_the_api_queued_it_is_stored(database: Database, drain: Drain) -> None:
    # The API's records: checked, times and ids written back by orjson (a time without
    # microseconds has none), the run ids only when the client sent them, the id last.
    persist_logs.send(
        [
            {
                "name": "prefect.flow_runs",
                "level": 20,
                "message": "Finished in state Completed()",
                "timestamp": "2026-11-25T18:01:44.123456+00:00",
                "flow_run_id": "6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b",
                "task_run_id": None,
                "id": "3f1c0e5a9d7b4c2e8a6f0b1d00000000",
            },
            {
                "name": "prefect.task_runs",
                "level": 40,
                "message": "Task run failed",
                "timestamp": "2026-11-25T19:01:45+01:00",
                "id": "3f1c0e5a9d7b4c2e8a6f0b1d00000001",
            },
        ]
    )
    await drain()

    async with database.read_sessions() as session:
        logs = list(await session.scalars(select(Log).order_by(Log.timestamp)))
    assert [
        (log.id, log.level, log.timestamp, log.flow_run_id, log.task_run_id) for log in logs
    ] == [
        (
            UUID("3f1c0e5a9d7b4c2e8a6f0b1d00000000"),
            20,
            datetime(2026, 11, 25, 18, 1, 44, 123456, tzinfo=UTC),
            UUID("6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b"),
            None,
        ),
        (
            UUID("3f1c0e5a9d7b4c2e8a6f0b1d00000001"),
            40,
            datetime(2026, 11, 25, 18, 1, 45, tzinfo=UTC),
            None,
            None,
        ),
    ]
    assert await dead_letters(database) == []


async def test_an_event_as_the_client_sent_it_is_stored(database: Database, drain: Drain) -> None:
    # The API queues the frame's text untouched: this is a client's frame.
    persist_events.send(
        [
            {
                "id": "0192f4a8-7c3e-7d21-9f6a-3b2c1d0e9f8a",
                "occurred": "2026-11-25T18:01:44.123456Z",
                "event": "prefect.flow-run.heartbeat",
                "resource": {
                    "prefect.resource.id": "prefect.flow-run.6b1f3c52-8f0e-4d7a-9c1b-2a3e4f5d6c7b",
                    "prefect.resource.name": "accomplished-angelfish",
                },
                "related": [
                    {
                        "prefect.resource.id": "prefect.flow.1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                        "prefect.resource.role": "flow",
                        "prefect.resource.name": "etl",
                    }
                ],
                "payload": {},
                "follows": None,
            }
        ]
    )
    await drain()

    async with database.read_sessions() as session:
        event = await session.get(EventRow, UUID("0192f4a8-7c3e-7d21-9f6a-3b2c1d0e9f8a"))
    assert event is not None and event.event == "prefect.flow-run.heartbeat"
    assert event.occurred == datetime(2026, 11, 25, 18, 1, 44, 123456, tzinfo=UTC)
    assert await dead_letters(database) == []


async def test_task_run_events_as_the_client_sent_them_make_a_task_run(
    database: Database, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    events = task_run_lifecycle(task_run_id, flow_run_id)  # frames copied from a client trace
    record_task_run_events.send(list(events))
    await drain()

    async with database.read_sessions() as session:
        task_run = await session.get(TaskRun, UUID(task_run_id))
    assert task_run is not None and task_run.state_id == UUID(events[-1]["id"])
    assert await dead_letters(database) == []


async def test_a_release_of_task_run_slots_as_queued_gives_them_back(
    api: TestClient, drain: Drain
) -> None:
    await create_limit(api, "tag:queued", 1)
    task_run_id = str(uuid4())
    status, _ = await acquire(
        api, "tag:queued", lease_duration=60, holder={"type": "task_run", "id": task_run_id}
    )
    assert status == 200
    release_task_run_slots.send([task_run_id])
    await drain()

    assert (await read_limit(api, "tag:queued"))["active_slots"] == 0
