"""The sorts that read more than a column: task runs by how long they ran, deployments by the
limit on their concurrent runs. Runs on whichever database the suite runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import select

from models.concurrency.tables import ConcurrencyLimit
from models.coordination.deployments import Deployment
from models.db.database import Database
from models.filters.base import list_matching
from models.filters.bodies import DeploymentFilterBody, TaskRunFilterBody
from models.runs.flows import Flow
from models.runs.task_runs import TaskRun
from models.states import StateType

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def task_run(number: int, name: str, seconds: float, state: StateType, **values: object) -> TaskRun:
    return TaskRun(
        id=UUID(int=number),
        name=name,
        flow_run_id=None,
        task_key=name,
        dynamic_key="0",
        state_type=state,
        state_name=state.value.capitalize(),
        total_run_time_seconds=seconds,
        tags=[],
        **values,
    )


async def test_task_runs_sort_by_duration_counting_a_running_run_until_now(
    database: Database,
) -> None:
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    async with database.sessions.begin() as session:
        session.add_all(
            [
                task_run(1, "quick", 1.0, StateType.COMPLETED, expected_start_time=T0),
                task_run(2, "slow", 120.0, StateType.COMPLETED, expected_start_time=T0),
                # 10 s before it entered RUNNING an hour ago: about 3,610 s so far.
                task_run(3, "running", 10.0, StateType.RUNNING, state_timestamp=an_hour_ago),
                task_run(
                    4, "tie-early", 1.0, StateType.FAILED, expected_start_time=T0 - timedelta(1)
                ),
            ]
        )
    names = {}
    for sort in ("DURATION_DESC", "DURATION_ASC"):
        body = TaskRunFilterBody.model_validate({"sort": sort})
        async with database.read_sessions() as session:
            names[sort] = [run.name for run in await list_matching(session, select(TaskRun), body)]
    # Ties go to the latest expected start first, whichever the direction.
    assert names["DURATION_DESC"] == ["running", "slow", "quick", "tie-early"]
    assert names["DURATION_ASC"] == ["quick", "tie-early", "slow", "running"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("CONCURRENCY_LIMIT_ASC", ["unlimited", "one", "five"]),
        ("CONCURRENCY_LIMIT_DESC", ["five", "one", "unlimited"]),
    ],
)
async def test_deployments_sort_by_their_limit_none_being_the_smallest(
    database: Database, sort: str, expected: list[str]
) -> None:
    async with database.sessions.begin() as session:
        flow = Flow(name="etl", tags=[])
        one, five = ConcurrencyLimit(name="one", limit=1), ConcurrencyLimit(name="five", limit=5)
        session.add_all([flow, one, five])
        await session.flush()
        session.add_all(
            [
                Deployment(name="five", flow_id=flow.id, concurrency_limit_id=five.id, tags=[]),
                Deployment(name="unlimited", flow_id=flow.id, tags=[]),
                Deployment(name="one", flow_id=flow.id, concurrency_limit_id=one.id, tags=[]),
            ]
        )
    body = DeploymentFilterBody.model_validate({"sort": sort})
    async with database.read_sessions() as session:
        deployments = await list_matching(session, select(Deployment), body)
    assert [deployment.name for deployment in deployments] == expected
