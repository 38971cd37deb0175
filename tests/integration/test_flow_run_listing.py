"""The flow-run listing writes each run as FlowRunResponse would, without a model per row."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from sqlalchemy.dialects import sqlite

from models.db.database import Database
from models.filters.bodies import FlowRunFilterBody
from models.runs.flow_run_listing import FLOW_RUN_LISTING, listed_flow_run
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.schemas.flow_runs import FlowRunResponse
from models.states import StateType

NOW = datetime(2026, 11, 25, 12, 0, 0, 250_000, tzinfo=UTC)
#: A time with no fraction of a second: pydantic writes it without one.
WHOLE_SECOND = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def run_and_state(flow_id: UUID, state_type: StateType | None, **fields: Any) -> list[Any]:
    run = FlowRun(
        id=uuid4(),
        flow_id=flow_id,
        name=f"run-{uuid4().hex[:6]}",
        created=WHOLE_SECOND,
        updated=NOW - timedelta(microseconds=1),
        **fields,
    )
    if state_type is None:
        return [run]
    state = FlowRunState(
        id=uuid4(),
        flow_run_id=run.id,
        type=state_type,
        name=state_type.value.capitalize(),
        timestamp=NOW - timedelta(minutes=3),
        message="a message",
        state_details={"cache_key": "k"},
        data={"type": "unpersisted"},
    )
    run.state_id, run.state_type = state.id, state.type
    run.state_name, run.state_timestamp = state.name, state.timestamp
    return [run, state]


async def listed_and_validated(database: Database, body: dict[str, Any]) -> tuple[Any, Any]:
    """The page as the listing writes it, and as FlowRunResponse writes the same runs."""
    filter_body = FlowRunFilterBody.model_validate(body)
    async with database.read_sessions() as session:
        connection = await session.connection()
        listing = filter_body.apply(FLOW_RUN_LISTING, connection.dialect.name)
        rows = (await connection.execute(listing)).all()
        listed = orjson.dumps([listed_flow_run(row, NOW) for row in rows])
        responses = []
        for row in rows:
            run = await session.get(FlowRun, UUID(row.id))
            assert run is not None
            state = await session.get(FlowRunState, run.state_id) if run.state_id else None
            responses.append(FlowRunResponse.from_row(run, state, NOW).model_dump(mode="json"))
    return json.loads(listed), responses


async def test_the_listing_writes_every_field_as_the_flow_run_response_does(
    database: Database,
) -> None:
    flow = Flow(id=uuid4(), name=f"flow-{uuid4().hex[:6]}")
    rows = [
        *run_and_state(flow.id, None),
        *run_and_state(
            flow.id,
            StateType.RUNNING,  # estimated_run_time grows while RUNNING
            start_time=NOW - timedelta(minutes=3),
            expected_start_time=NOW - timedelta(minutes=5),
            total_run_time_seconds=7,
            parameters={"città": "Zürich", "nested": {"x": [1, 2.5, None, True]}},
            tags=["etl", "nightly"],
            labels={"team": "data"},
            empirical_policy={"max_retries": 2, "retry_delay_seconds": 1.5},  # old spelling
            created_by={"id": str(uuid4()), "type": "DEPLOYMENT", "display_value": "d"},
            auto_scheduled=True,
        ),
        *run_and_state(
            flow.id,
            StateType.SCHEDULED,  # late so far: estimated_start_time_delta counts
            expected_start_time=WHOLE_SECOND,
            next_scheduled_start_time=WHOLE_SECOND,
            deployment_id=None,
            idempotency_key="once",
            parent_task_run_id=uuid4(),
            infrastructure_document_id=uuid4(),
            work_queue_name="default",
            work_pool_name="pool",
            infrastructure_pid="1234",
            job_variables={"image": "python:3.11"},
        ),
        *run_and_state(
            flow.id,
            StateType.COMPLETED,
            start_time=NOW - timedelta(hours=1),
            end_time=NOW - timedelta(minutes=59),
            expected_start_time=NOW - timedelta(hours=2),
            run_count=1,
            total_run_time_seconds=60.25,
            empirical_policy={},
        ),
    ]
    async with database.sessions.begin() as session:
        session.add(flow)
        await session.flush()  # the flow first: the runs' foreign key points at it
        session.add_all(rows)

    for sort in ("EXPECTED_START_TIME_DESC", "NAME_ASC", "ID_DESC"):
        listed, validated = await listed_and_validated(database, {"sort": sort})
        assert len(listed) == 4
        assert listed == validated
        assert [list(run) for run in listed] == [list(run) for run in validated]  # field order


async def test_nan_in_stored_parameters_is_listed_as_null_as_pydantic_writes_it(
    database: Database, dialect: str
) -> None:
    if dialect != "sqlite":
        pytest.skip("PostgreSQL's JSONB refuses NaN, so only SQLite can hold it")
    flow = Flow(id=uuid4(), name=f"flow-{uuid4().hex[:6]}")
    async with database.sessions.begin() as session:
        session.add(flow)
        await session.flush()
        session.add_all(run_and_state(flow.id, StateType.FAILED, parameters={"x": float("nan")}))

    listed, validated = await listed_and_validated(database, {})
    assert listed[0]["parameters"] == {"x": None} == validated[0]["parameters"]


def test_the_listing_is_the_same_whatever_the_process_imported_first() -> None:
    # A process that imports the listing before the tables its foreign keys point at (the
    # API does) must still write those ids as UUIDs, not as SQLite's 32 bare digits.
    compiled = "str(FLOW_RUN_LISTING.compile(dialect=sqlite.dialect()))"
    probe = (
        "from sqlalchemy.dialects import sqlite; "
        "from models.runs.flow_run_listing import FLOW_RUN_LISTING; "
        f"print({compiled})"
    )
    alone = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert alone.strip() == str(FLOW_RUN_LISTING.compile(dialect=sqlite.dialect()))
    assert "substr(flow_run.flow_id, 1, 8)" in alone
