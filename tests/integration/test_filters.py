"""Filter bodies against the real database: each criterion and each sort picks the right rows.

Runs on whichever database the suite runs on (SQLite, or PostgreSQL when
SIGNALBOX_TEST_DATABASE_URL points at one), so tag criteria are checked on both dialects.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from models.coordination.deployments import Deployment
from models.coordination.work_pools import Worker, WorkPool, WorkQueue
from models.db.database import Database
from models.errors import InvalidRequest
from models.filters.base import Listing
from models.filters.bodies import (
    DeploymentFilterBody,
    FlowFilterBody,
    FlowRunCountBody,
    FlowRunFilterBody,
    LogFilterBody,
    TaskRunFilterBody,
    WorkerFilterBody,
    WorkPoolFilterBody,
    WorkQueueFilterBody,
)
from models.runs.flow_runs import FlowRun
from models.runs.flows import Flow
from models.runs.logs import Log
from models.runs.task_runs import TaskRun
from models.states import StateType

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def iso(minutes: int) -> str:
    return at(minutes).isoformat().replace("+00:00", "Z")


# Ids are fixed so that ID_DESC has a known order on both databases.
ALPHA, BETA, GAMMA, DELTA, EPSILON = (UUID(int=n) for n in range(1, 6))
EXTRACT, CHILD, LOAD, BACKGROUND = (UUID(int=n) for n in range(11, 15))
ETL, REPORT = UUID(int=21), UUID(int=22)
NIGHTLY = UUID(int=31)
POOL_1, POOL_2, QUEUE_1, QUEUE_2 = (UUID(int=n) for n in range(41, 45))
CREATOR = UUID(int=51)


def flow_run(
    id: UUID, name: str, flow_id: UUID, state_type: StateType, state_name: str, **values: Any
) -> FlowRun:
    return FlowRun(
        id=id,
        name=name,
        flow_id=flow_id,
        state_type=state_type,
        state_name=state_name,
        tags=values.pop("tags", []),
        **values,
    )


def task_run(
    id: UUID, name: str, flow_run_id: UUID | None, state_type: StateType, **values: Any
) -> TaskRun:
    return TaskRun(
        id=id,
        name=name,
        flow_run_id=flow_run_id,
        task_key=name.split("-")[0],
        dynamic_key="0",
        state_type=state_type,
        state_name=state_type.value.capitalize(),
        tags=values.pop("tags", []),
        **values,
    )


@pytest.fixture
async def rows(database: Database) -> None:
    """Two flows, one deployment, two work pools, five flow runs, four task runs, four logs.

    | run     | flow   | tags       | state                  | expected | start | end |
    | alpha   | etl    | prod, db   | COMPLETED              | 0        | 1     | 5   |
    | beta    | etl    | prod       | RUNNING                | 10       | 11    |     |
    | gamma   | report |            | SCHEDULED (next 20)    | 20       |       |     |
    | delta   | report | db         | CANCELLING (next 30)   | 30       | 31    |     |
    | epsilon | report | x          | PAUSED "Suspended"     | 5        |       |     |
    """
    async with database.sessions.begin() as session:
        session.add_all(
            [
                Flow(id=ETL, name="etl", tags=["prod"]),
                Flow(id=REPORT, name="report", tags=[]),
                WorkPool(id=POOL_1, name="p1", type="process"),
                WorkPool(id=POOL_2, name="p2", type="docker"),
            ]
        )
        await session.flush()
        session.add_all(
            [
                WorkQueue(id=QUEUE_1, work_pool_id=POOL_1, name="default", priority=1),
                WorkQueue(id=QUEUE_2, work_pool_id=POOL_2, name="q2", priority=2),
                Worker(work_pool_id=POOL_1, name="w1", status="ONLINE", last_heartbeat_time=at(0)),
                Worker(work_pool_id=POOL_1, name="w2", status="OFFLINE"),
            ]
        )
        await session.flush()
        session.add(
            Deployment(
                id=NIGHTLY, name="nightly", flow_id=ETL, work_queue_id=QUEUE_1, tags=["prod"]
            )
        )
        await session.flush()
        session.add_all(
            [
                flow_run(
                    ALPHA, "alpha", ETL, StateType.COMPLETED, "Completed",
                    tags=["prod", "db"], expected_start_time=at(0), start_time=at(1),
                    end_time=at(5), deployment_id=NIGHTLY, work_queue_id=QUEUE_1,
                    work_queue_name="default", idempotency_key="k1", flow_version="v1",
                    created_by={"id": str(CREATOR), "type": "DEPLOYMENT", "display_value": "n"},
                ),
                flow_run(
                    BETA, "beta", ETL, StateType.RUNNING, "Running",
                    tags=["prod"], expected_start_time=at(10), start_time=at(11),
                ),
                flow_run(
                    GAMMA, "gamma", REPORT, StateType.SCHEDULED, "Scheduled",
                    expected_start_time=at(20), next_scheduled_start_time=at(20),
                ),
                flow_run(
                    DELTA, "delta", REPORT, StateType.CANCELLING, "Cancelling",
                    tags=["db"], expected_start_time=at(30), start_time=at(31),
                    next_scheduled_start_time=at(30), parent_task_run_id=CHILD,
                    work_queue_id=QUEUE_2, work_queue_name="q2",
                ),
                flow_run(
                    EPSILON, "epsilon", REPORT, StateType.PAUSED, "Suspended",
                    tags=["x"], expected_start_time=at(5), created_by=None,
                ),
                task_run(
                    EXTRACT, "extract-1", ALPHA, StateType.COMPLETED, tags=["io"],
                    expected_start_time=at(1), start_time=at(1), end_time=at(2),
                ),
                task_run(CHILD, "child-0", ALPHA, StateType.RUNNING, expected_start_time=at(3)),
                task_run(
                    LOAD, "load-1", BETA, StateType.FAILED, tags=["io", "db"],
                    expected_start_time=at(11), start_time=at(12), end_time=at(13),
                ),
                task_run(BACKGROUND, "bg-1", None, StateType.COMPLETED, expected_start_time=at(0)),
                Log(name="l1", level=20, message="m", timestamp=at(1), flow_run_id=ALPHA,
                    task_run_id=EXTRACT),
                Log(name="l2", level=40, message="m", timestamp=at(2), flow_run_id=ALPHA),
                Log(name="l3", level=10, message="m", timestamp=at(3), flow_run_id=BETA),
                Log(name="l4", level=30, message="m", timestamp=at(4), flow_run_id=BETA,
                    task_run_id=LOAD),
            ]
        )  # fmt: skip


async def names(database: Database, dialect: str, body: Listing, column: Any) -> list[str]:
    async with database.read_sessions() as session:
        result = await session.scalars(body.apply(select(column), dialect))
        return list(result.all())


async def flow_runs(database: Database, dialect: str, body: dict[str, Any]) -> list[str]:
    return await names(database, dialect, FlowRunFilterBody.model_validate(body), FlowRun.name)


def cases(table: Sequence[tuple[str, dict[str, Any], Any]]) -> list[Any]:
    """Table rows (what, body, expected) as pytest parameters named after what they check."""
    return [pytest.param(body, expected, id=what) for what, body, expected in table]


def ids(*run_ids: UUID) -> list[str]:
    return [str(run_id) for run_id in run_ids]


ALL_RUNS = {"alpha", "beta", "gamma", "delta", "epsilon"}

FLOW_RUN_CASES: Sequence[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing", {}, ALL_RUNS),
    ("ids", {"flow_runs": {"id": {"any_": ids(ALPHA, GAMMA)}}}, {"alpha", "gamma"}),
    ("not ids", {"flow_runs": {"id": {"not_any_": ids(ALPHA)}}}, ALL_RUNS - {"alpha"}),
    ("names", {"flow_runs": {"name": {"any_": ["beta"]}}}, {"beta"}),
    ("name like, any case", {"flow_runs": {"name": {"like_": "EPS"}}}, {"epsilon"}),
    ("tags all", {"flow_runs": {"tags": {"all_": ["prod", "db"]}}}, {"alpha"}),
    ("tags any", {"flow_runs": {"tags": {"any_": ["db", "x"]}}}, {"alpha", "delta", "epsilon"}),
    ("tags any of none", {"flow_runs": {"tags": {"any_": []}}}, set()),
    ("no tags", {"flow_runs": {"tags": {"is_null_": True}}}, {"gamma"}),
    ("some tags", {"flow_runs": {"tags": {"is_null_": False}}}, ALL_RUNS - {"gamma"}),
    (
        "tags all or any",
        {"flow_runs": {"tags": {"operator": "or_", "all_": ["prod", "db"], "any_": ["x"]}}},
        {"alpha", "epsilon"},
    ),
    ("deployment", {"flow_runs": {"deployment_id": {"any_": ids(NIGHTLY)}}}, {"alpha"}),
    (
        "no deployment",
        {"flow_runs": {"deployment_id": {"is_null_": True}}},
        ALL_RUNS - {"alpha"},
    ),
    ("work queue name", {"flow_runs": {"work_queue_name": {"any_": ["default"]}}}, {"alpha"}),
    (
        "state types",
        {"flow_runs": {"state": {"type": {"any_": ["RUNNING", "SCHEDULED"]}}}},
        {"beta", "gamma"},
    ),
    (
        "not state types",
        {"flow_runs": {"state": {"type": {"not_any_": ["RUNNING", "SCHEDULED"]}}}},
        {"alpha", "delta", "epsilon"},
    ),
    (
        "the cancellation poll",
        {"flow_runs": {"id": {"any_": ids(DELTA)}, "state": {"type": {"any_": ["CANCELLING"]}}}},
        {"delta"},
    ),
    (
        "the legacy cancellation poll ANDs type and name",
        {
            "flow_runs": {
                "state": {"type": {"any_": ["CANCELLED"]}, "name": {"any_": ["Cancelling"]}}
            }
        },
        set(),
    ),
    (
        "the suspension poll",
        {"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}, "name": {"any_": ["Suspended"]}}}},
        {"epsilon"},
    ),
    (
        "state type or name",
        {
            "flow_runs": {
                "state": {
                    "operator": "or_",
                    "type": {"any_": ["RUNNING"]},
                    "name": {"any_": ["Scheduled"]},
                }
            }
        },
        {"beta", "gamma"},
    ),
    ("flow version", {"flow_runs": {"flow_version": {"any_": ["v1"]}}}, {"alpha"}),
    (
        "started before, or expected to",
        {"flow_runs": {"start_time": {"before_": iso(10)}}},
        {"alpha", "epsilon"},
    ),
    (
        "started after, or expected to",
        {"flow_runs": {"start_time": {"after_": iso(15)}}},
        {"gamma", "delta"},
    ),
    ("not started", {"flow_runs": {"start_time": {"is_null_": True}}}, {"gamma", "epsilon"}),
    ("ended", {"flow_runs": {"end_time": {"is_null_": False}}}, {"alpha"}),
    ("ended after", {"flow_runs": {"end_time": {"after_": iso(0)}}}, {"alpha"}),
    (
        "expected before, inclusive",
        {"flow_runs": {"expected_start_time": {"before_": iso(5)}}},
        {"alpha", "epsilon"},
    ),
    (
        "expected between",
        {"flow_runs": {"expected_start_time": {"after_": iso(5), "before_": iso(20)}}},
        {"epsilon", "beta", "gamma"},
    ),
    (
        "next scheduled",
        {"flow_runs": {"next_scheduled_start_time": {"after_": iso(25)}}},
        {"delta"},
    ),
    ("subflows of a run", {"flow_runs": {"parent_flow_run_id": {"any_": ids(ALPHA)}}}, {"delta"}),
    (
        "the subflow lookup",
        {"flow_runs": {"parent_task_run_id": {"any_": ids(CHILD)}}},
        {"delta"},
    ),
    ("subflows", {"flow_runs": {"parent_task_run_id": {"is_null_": False}}}, {"delta"}),
    ("idempotency key", {"flow_runs": {"idempotency_key": {"any_": ["k1"]}}}, {"alpha"}),
    ("created by type", {"flow_runs": {"created_by": {"type_": ["DEPLOYMENT"]}}}, {"alpha"}),
    ("created by id", {"flow_runs": {"created_by": {"id_": ids(CREATOR)}}}, {"alpha"}),
    # Epsilon's creator is JSON null, the others' SQL NULL: neither has a creator.
    ("no creator", {"flow_runs": {"created_by": {"is_null_": True}}}, ALL_RUNS - {"alpha"}),
    ("a creator", {"flow_runs": {"created_by": {"is_null_": False}}}, {"alpha"}),
    (
        "creator type or none",
        {"flow_runs": {"created_by": {"operator": "or_", "type_": ["X"], "is_null_": True}}},
        ALL_RUNS - {"alpha"},
    ),
    (
        "deployment and none",
        {"flow_runs": {"deployment_id": {"any_": ids(NIGHTLY), "is_null_": True}}},
        set(),
    ),
    (
        "deployment or none",
        {
            "flow_runs": {
                "deployment_id": {"operator": "or_", "any_": ids(NIGHTLY), "is_null_": True}
            }
        },
        ALL_RUNS,
    ),
    (
        "work queue name and none",
        {"flow_runs": {"work_queue_name": {"any_": ["default"], "is_null_": True}}},
        set(),
    ),
    (
        "work queue name or none",
        {
            "flow_runs": {
                "work_queue_name": {"operator": "or_", "any_": ["default"], "is_null_": True}
            }
        },
        ALL_RUNS - {"delta"},
    ),
    (
        "parent task run and some",
        {"flow_runs": {"parent_task_run_id": {"any_": ids(EXTRACT), "is_null_": False}}},
        set(),
    ),
    (
        "parent task run or some",
        {
            "flow_runs": {
                "parent_task_run_id": {"operator": "or_", "any_": ids(EXTRACT), "is_null_": False}
            }
        },
        {"delta"},
    ),
    (
        "name any or like",
        {"flow_runs": {"name": {"operator": "or_", "any_": ["beta"], "like_": "EPS"}}},
        {"beta", "epsilon"},
    ),
    (
        "criteria ORed",
        {
            "flow_runs": {
                "operator": "or_",
                "name": {"any_": ["alpha"]},
                "state": {"type": {"any_": ["RUNNING"]}},
            }
        },
        {"alpha", "beta"},
    ),
    (
        "an empty criterion does not widen an OR",
        {"flow_runs": {"operator": "or_", "name": {}, "state": {"type": {"any_": ["RUNNING"]}}}},
        {"beta"},
    ),
    ("flows by name", {"flows": {"name": {"any_": ["report"]}}}, {"gamma", "delta", "epsilon"}),
    ("flows by tag", {"flows": {"tags": {"all_": ["prod"]}}}, {"alpha", "beta"}),
    (
        "flows without deployments",
        {"flows": {"deployment": {"is_null_": True}}},
        {"gamma", "delta", "epsilon"},
    ),
    ("deployments by name", {"deployments": {"name": {"any_": ["nightly"]}}}, {"alpha"}),
    ("task runs by tag", {"task_runs": {"tags": {"any_": ["io"]}}}, {"alpha", "beta"}),
    ("task runs by state", {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, {"beta"}),
    ("work pools by name", {"work_pools": {"name": {"any_": ["p2"]}}}, {"delta"}),
    ("work pools by type", {"work_pools": {"type": {"any_": ["process"]}}}, {"alpha"}),
    ("work queues by name", {"work_pool_queues": {"name": {"any_": ["q2"]}}}, {"delta"}),
    (
        "several objects at once",
        {"flows": {"name": {"any_": ["etl"]}}, "flow_runs": {"tags": {"any_": ["db"]}}},
        {"alpha"},
    ),
]


@pytest.mark.parametrize(("body", "expected"), cases(FLOW_RUN_CASES))
async def test_each_flow_run_criterion_picks_its_runs(
    database: Database, dialect: str, rows: None, body: dict[str, Any], expected: set[str]
) -> None:
    assert set(await flow_runs(database, dialect, body)) == expected


FLOW_RUN_SORTS = {
    "ID_DESC": ["epsilon", "delta", "gamma", "beta", "alpha"],
    "START_TIME_ASC": ["alpha", "epsilon", "beta", "gamma", "delta"],
    "START_TIME_DESC": ["delta", "gamma", "beta", "epsilon", "alpha"],
    "EXPECTED_START_TIME_ASC": ["alpha", "epsilon", "beta", "gamma", "delta"],
    "EXPECTED_START_TIME_DESC": ["delta", "gamma", "beta", "epsilon", "alpha"],
    "NAME_ASC": ["alpha", "beta", "delta", "epsilon", "gamma"],
    "NAME_DESC": ["gamma", "epsilon", "delta", "beta", "alpha"],
    # A missing time sorts as the smallest on both databases; ties go by id, descending.
    "NEXT_SCHEDULED_START_TIME_ASC": ["epsilon", "beta", "alpha", "gamma", "delta"],
    "END_TIME_DESC": ["alpha", "epsilon", "delta", "gamma", "beta"],
}


@pytest.mark.parametrize(("sort", "expected"), FLOW_RUN_SORTS.items())
async def test_each_flow_run_sort_orders_the_same_on_both_databases(
    database: Database, dialect: str, rows: None, sort: str, expected: list[str]
) -> None:
    assert await flow_runs(database, dialect, {"sort": sort}) == expected


async def test_the_default_sort_is_id_descending(
    database: Database, dialect: str, rows: None
) -> None:
    assert await flow_runs(database, dialect, {"sort": None}) == FLOW_RUN_SORTS["ID_DESC"]


async def test_limit_and_offset_page_through_the_sorted_runs(
    database: Database, dialect: str, rows: None
) -> None:
    body = {"sort": "EXPECTED_START_TIME_DESC", "limit": 2, "offset": 1}
    assert await flow_runs(database, dialect, body) == ["gamma", "beta"]


async def test_a_time_bound_before_the_first_utc_moment_is_refused_naming_it() -> None:
    # Converted to UTC for the query, it was an OverflowError: a 500 on both databases.
    body = {"flow_runs": {"start_time": {"after_": "0001-01-01T00:00:00+05:00"}}}
    with pytest.raises(ValidationError) as refused:
        FlowRunFilterBody.model_validate(body)
    (error,) = refused.value.errors()
    assert error["loc"] == ("flow_runs", "start_time", "after_")


async def test_a_limit_over_200_is_refused_before_any_query() -> None:
    with pytest.raises(InvalidRequest) as refused:
        FlowRunFilterBody.model_validate({"limit": 1000})
    assert refused.value.detail == "Invalid limit: must be less than or equal to 200."


async def test_a_count_body_counts_what_the_filter_would_list(
    database: Database, dialect: str, rows: None
) -> None:
    body = FlowRunCountBody.model_validate({"flow_runs": {"tags": {"any_": ["prod"]}}})
    async with database.read_sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(FlowRun).where(body.where(dialect))
        )
    assert count == 2


async def task_runs(database: Database, dialect: str, body: dict[str, Any]) -> list[str]:
    return await names(database, dialect, TaskRunFilterBody.model_validate(body), TaskRun.name)


ALL_TASK_RUNS = {"extract-1", "child-0", "load-1", "bg-1"}

TASK_RUN_CASES: Sequence[tuple[str, dict[str, Any], set[str]]] = [
    ("nothing", {}, ALL_TASK_RUNS),
    ("name like", {"task_runs": {"name": {"like_": "LOAD"}}}, {"load-1"}),
    (
        "of flow runs",
        {"task_runs": {"flow_run_id": {"any_": ids(ALPHA)}}},
        {"extract-1", "child-0"},
    ),
    (
        "an empty flow-run criterion leaves out background tasks",
        {"task_runs": {"flow_run_id": {}}},
        ALL_TASK_RUNS - {"bg-1"},
    ),
    ("background tasks", {"task_runs": {"flow_run_id": {"is_null_": True}}}, {"bg-1"}),
    ("subflow placeholders", {"task_runs": {"subflow_runs": {"exists_": True}}}, {"child-0"}),
    (
        "not subflow placeholders",
        {"task_runs": {"subflow_runs": {"exists_": False}}},
        ALL_TASK_RUNS - {"child-0"},
    ),
    ("tags all", {"task_runs": {"tags": {"all_": ["io", "db"]}}}, {"load-1"}),
    ("no tags", {"task_runs": {"tags": {"is_null_": True}}}, {"child-0", "bg-1"}),
    (
        "state types",
        {"task_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}},
        {"extract-1", "bg-1"},
    ),
    ("state names", {"task_runs": {"state": {"name": {"any_": ["Failed"]}}}}, {"load-1"}),
    ("started after", {"task_runs": {"start_time": {"after_": iso(5)}}}, {"load-1"}),
    ("ended after", {"task_runs": {"end_time": {"after_": iso(5)}}}, {"load-1"}),
    ("ended before, inclusive", {"task_runs": {"end_time": {"before_": iso(2)}}}, {"extract-1"}),
    ("not ended", {"task_runs": {"end_time": {"is_null_": True}}}, {"child-0", "bg-1"}),
    (
        "of flow runs, whatever the operator",
        {"task_runs": {"flow_run_id": {"operator": "or_", "any_": ids(BETA)}}},
        {"load-1"},
    ),
    (
        "background tasks, whatever else is asked",
        {"task_runs": {"flow_run_id": {"any_": ids(ALPHA), "is_null_": True}}},
        {"bg-1"},
    ),
    (
        "expected before",
        {"task_runs": {"expected_start_time": {"before_": iso(1)}}},
        {"extract-1", "bg-1"},
    ),
    ("of flow runs by name", {"flow_runs": {"name": {"any_": ["beta"]}}}, {"load-1"}),
    (
        "of flows by name",
        {"flows": {"name": {"any_": ["etl"]}}},
        {"extract-1", "child-0", "load-1"},
    ),
    (
        "of deployments",
        {"deployments": {"name": {"any_": ["nightly"]}}},
        {"extract-1", "child-0"},
    ),
]


@pytest.mark.parametrize(("body", "expected"), cases(TASK_RUN_CASES))
async def test_each_task_run_criterion_picks_its_runs(
    database: Database, dialect: str, rows: None, body: dict[str, Any], expected: set[str]
) -> None:
    assert set(await task_runs(database, dialect, body)) == expected


TASK_RUN_SORTS = {
    "ID_DESC": ["bg-1", "load-1", "child-0", "extract-1"],
    "EXPECTED_START_TIME_ASC": ["bg-1", "extract-1", "child-0", "load-1"],
    "EXPECTED_START_TIME_DESC": ["load-1", "child-0", "extract-1", "bg-1"],
    "NAME_ASC": ["bg-1", "child-0", "extract-1", "load-1"],
    "NAME_DESC": ["load-1", "extract-1", "child-0", "bg-1"],
    "NEXT_SCHEDULED_START_TIME_ASC": ["bg-1", "load-1", "child-0", "extract-1"],
    "END_TIME_DESC": ["load-1", "extract-1", "bg-1", "child-0"],
}


@pytest.mark.parametrize(("sort", "expected"), TASK_RUN_SORTS.items())
async def test_each_task_run_sort_orders_the_same_on_both_databases(
    database: Database, dialect: str, rows: None, sort: str, expected: list[str]
) -> None:
    assert await task_runs(database, dialect, {"sort": sort}) == expected


async def logs(database: Database, dialect: str, body: dict[str, Any]) -> list[str]:
    return await names(database, dialect, LogFilterBody.model_validate(body), Log.name)


LOG_CASES: Sequence[tuple[str, dict[str, Any], list[str]]] = [
    ("nothing, oldest first", {}, ["l1", "l2", "l3", "l4"]),
    ("newest first", {"sort": "TIMESTAMP_DESC"}, ["l4", "l3", "l2", "l1"]),
    ("of a flow run", {"logs": {"flow_run_id": {"any_": ids(ALPHA)}}}, ["l1", "l2"]),
    ("of a task run", {"logs": {"task_run_id": {"any_": ids(LOAD)}}}, ["l4"]),
    ("of no task run", {"logs": {"task_run_id": {"is_null_": True}}}, ["l2", "l3"]),
    ("at least a level", {"logs": {"level": {"ge_": 30}}}, ["l2", "l4"]),
    ("at most a level", {"logs": {"level": {"le_": 20}}}, ["l1", "l3"]),
    # Bounds no 32-bit level column holds: a 500 on PostgreSQL ("integer out of range").
    ("at most a level past 32 bits", {"logs": {"level": {"le_": 2**40}}}, ["l1", "l2", "l3", "l4"]),
    ("at least a level past 32 bits", {"logs": {"level": {"ge_": 2**40}}}, []),
    (
        "at least a level below 32 bits",
        {"logs": {"level": {"ge_": -(2**40)}}},
        ["l1", "l2", "l3", "l4"],
    ),
    ("at most a level below 32 bits", {"logs": {"level": {"le_": -(2**40)}}}, []),
    (
        "between two times",
        {"logs": {"timestamp": {"after_": iso(2), "before_": iso(3)}}},
        ["l2", "l3"],
    ),
    ("a page", {"limit": 1, "offset": 2}, ["l3"]),
]


@pytest.mark.parametrize(("body", "expected"), cases(LOG_CASES))
async def test_each_log_criterion_and_sort_picks_its_lines(
    database: Database, dialect: str, rows: None, body: dict[str, Any], expected: list[str]
) -> None:
    assert await logs(database, dialect, body) == expected


FLOW_CASES: Sequence[tuple[str, dict[str, Any], list[str]]] = [
    ("nothing, by name", {}, ["etl", "report"]),
    ("name descending", {"sort": "NAME_DESC"}, ["report", "etl"]),
    ("name like", {"flows": {"name": {"like_": "rep"}}}, ["report"]),
    ("tags", {"flows": {"tags": {"any_": ["prod"]}}}, ["etl"]),
    ("with deployments", {"flows": {"deployment": {"is_null_": False}}}, ["etl"]),
    ("with running runs", {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}, ["etl"]),
    ("with failed task runs", {"task_runs": {"state": {"type": {"any_": ["FAILED"]}}}}, ["etl"]),
    ("with paused deployments", {"deployments": {"paused": {"eq_": True}}}, []),
    ("deployed to a pool", {"work_pools": {"name": {"any_": ["p1"]}}}, ["etl"]),
]


@pytest.mark.parametrize(("body", "expected"), cases(FLOW_CASES))
async def test_each_flow_criterion_picks_its_flows(
    database: Database, dialect: str, rows: None, body: dict[str, Any], expected: list[str]
) -> None:
    listing = FlowFilterBody.model_validate(body)
    assert await names(database, dialect, listing, Flow.name) == expected


DEPLOYMENT_CASES: Sequence[tuple[str, dict[str, Any], list[str]]] = [
    ("nothing", {}, ["nightly"]),
    (
        "flow or deployment name",
        {"deployments": {"flow_or_deployment_name": {"like_": "ET"}}},
        ["nightly"],
    ),
    ("not paused", {"deployments": {"paused": {"eq_": False}}}, ["nightly"]),
    ("tags", {"deployments": {"tags": {"all_": ["prod", "db"]}}}, []),
    ("of a flow", {"flows": {"name": {"any_": ["report"]}}}, []),
    ("with a run", {"flow_runs": {"name": {"any_": ["alpha"]}}}, ["nightly"]),
    ("in a pool", {"work_pools": {"name": {"any_": ["p1"]}}}, ["nightly"]),
    ("in a queue", {"work_pool_queues": {"name": {"any_": ["q2"]}}}, []),
]


@pytest.mark.parametrize(("body", "expected"), cases(DEPLOYMENT_CASES))
async def test_each_deployment_criterion_picks_its_deployments(
    database: Database, dialect: str, rows: None, body: dict[str, Any], expected: list[str]
) -> None:
    listing = DeploymentFilterBody.model_validate(body)
    assert await names(database, dialect, listing, Deployment.name) == expected


async def test_work_pools_queues_and_workers_filter_by_their_own_fields(
    database: Database, dialect: str, rows: None
) -> None:
    pools = WorkPoolFilterBody.model_validate({"work_pools": {"type": {"any_": ["docker"]}}})
    queues = WorkQueueFilterBody.model_validate(
        {"work_queues": None, "limit": None, "offset": None}
    )
    starting = WorkQueueFilterBody.model_validate(
        {"work_queues": {"name": {"startswith_": ["DE"]}}}
    )
    online = WorkerFilterBody.model_validate(
        {"workers": {"status": {"any_": ["ONLINE"]}}, "offset": None, "limit": None}
    )
    assert await names(database, dialect, pools, WorkPool.name) == ["p2"]
    assert await names(database, dialect, queues, WorkQueue.name) == ["default", "q2"]
    assert await names(database, dialect, starting, WorkQueue.name) == ["default"]
    assert await names(database, dialect, online, Worker.name) == ["w1"]
