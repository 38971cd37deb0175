"""A batch of task-run events stores what storing its events one by one would store."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from actors.persistence import record_task_run_events
from models.db.database import Database
from models.runs.task_runs import TaskRun, TaskRunState
from tests.integration.events import task_run_event, task_run_lifecycle
from tests.running import Drain


async def stored(database: Database, task_run_id: str) -> tuple[TaskRun | None, list[str]]:
    """The task run and the names of its states, oldest first."""
    async with database.read_sessions() as session:
        task_run = await session.get(TaskRun, UUID(task_run_id))
        history = await session.scalars(
            select(TaskRunState.name)
            .where(TaskRunState.task_run_id == UUID(task_run_id))
            .order_by(TaskRunState.timestamp, TaskRunState.name)
        )
        return task_run, list(history)


async def test_a_whole_life_in_one_shuffled_batch_ends_in_its_newest_state(
    database: Database, drain: Drain
) -> None:
    task_run_id = str(uuid4())
    pending, running, completed = task_run_lifecycle(task_run_id, str(uuid4()))
    record_task_run_events.send([completed, pending, running])
    await drain()
    task_run, history = await stored(database, task_run_id)
    assert task_run is not None
    assert (task_run.state_id, task_run.state_name) == (UUID(completed["id"]), "Completed")
    assert history == ["Pending", "Running", "Completed"]


async def test_a_batch_older_than_the_stored_state_only_adds_history(
    database: Database, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    pending, running, completed = task_run_lifecycle(task_run_id, flow_run_id)
    record_task_run_events.send([completed])
    await drain()
    record_task_run_events.send([pending, running])
    await drain()
    task_run, history = await stored(database, task_run_id)
    assert task_run is not None and task_run.state_id == UUID(completed["id"])
    assert task_run.run_count == completed["payload"]["task_run"]["run_count"]
    assert history == ["Pending", "Running", "Completed"]


async def test_of_two_states_at_the_same_moment_the_first_to_arrive_is_current(
    database: Database, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    first = task_run_event(task_run_id, flow_run_id, "RUNNING", "Running", seconds=1)
    second = task_run_event(task_run_id, flow_run_id, "FAILED", "Failed", seconds=1)
    record_task_run_events.send([first, second])
    await drain()
    task_run, history = await stored(database, task_run_id)
    assert task_run is not None and task_run.state_id == UUID(first["id"])
    assert sorted(history) == ["Failed", "Running"]


async def test_the_newest_state_brings_its_runs_details_along(
    database: Database, drain: Drain
) -> None:
    task_run_id, flow_run_id = str(uuid4()), str(uuid4())
    events: list[dict[str, Any]] = [
        task_run_event(task_run_id, flow_run_id, "RUNNING", "Running", seconds=n, run_count=n)
        for n in (1, 3, 2)
    ]
    events[1]["payload"]["task_run"]["tags"] = ["newest"]
    record_task_run_events.send(events)
    await drain()
    task_run, _ = await stored(database, task_run_id)
    assert task_run is not None
    assert (task_run.run_count, task_run.tags, task_run.flow_run_id) == (
        3,
        ["newest"],
        UUID(flow_run_id),
    )
