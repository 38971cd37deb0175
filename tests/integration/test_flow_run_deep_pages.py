"""A page of the flow-run listing past the first is found ids first, and holds exactly the runs
the whole listing has at its place, in every sort, with filters, by offset or by page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from models.db.database import Database
from models.filters.bodies import FlowRunFilterBody
from models.filters.flow_runs import FlowRunSort
from models.runs.flow_run_listing import filter_flow_runs
from models.runs.flow_runs import FlowRun
from models.runs.flows import Flow
from models.schemas.pagination import FlowRunPageBody
from models.states import StateType

BASE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
RUNS = 30
SORTS = (
    FlowRunSort.EXPECTED_START_TIME_DESC,
    FlowRunSort.START_TIME_ASC,
    FlowRunSort.NAME_ASC,
)


@pytest.fixture
async def seeded(database: Database) -> Database:
    """Thirty runs: start times shared by three runs each, a third never started, some failed."""
    flow = Flow(id=uuid4(), name=f"flow-{uuid4().hex[:6]}")
    runs = []
    for number in range(RUNS):
        expected = BASE + timedelta(minutes=number // 3)  # ties: the sort's last key decides
        state = StateType.FAILED if number % 4 == 0 else StateType.COMPLETED
        runs.append(
            FlowRun(
                id=uuid4(),
                flow_id=flow.id,
                name=f"run-{(number * 7) % RUNS:02d}",
                expected_start_time=expected,
                start_time=None if number % 3 == 0 else expected + timedelta(seconds=number),
                state_type=state,
                state_name=state.value.title(),
            )
        )
    async with database.sessions.begin() as session:
        session.add(flow)
        await session.flush()  # the flow first: the runs' foreign key points at it
        session.add_all(runs)
    return database


async def listed_ids(database: Database, body: FlowRunFilterBody) -> list[str]:
    async with database.read_sessions() as session:
        return [str(row.id) for row in await filter_flow_runs(session, body)]


def body(sort: FlowRunSort, **more: Any) -> FlowRunFilterBody:
    return FlowRunFilterBody.model_validate({"sort": sort, **more})


@pytest.mark.parametrize("sort", SORTS)
async def test_pages_by_offset_are_slices_of_the_whole_listing(
    seeded: Database, sort: FlowRunSort
) -> None:
    whole = await listed_ids(seeded, body(sort, limit=200))
    assert len(whole) == RUNS
    for offset in (1, 7, 25, 28):
        page = await listed_ids(seeded, body(sort, limit=5, offset=offset))
        assert page == whole[offset : offset + 5], offset
    assert await listed_ids(seeded, body(sort, limit=5, offset=RUNS)) == []


async def test_pages_by_number_and_with_a_filter_are_slices_too(seeded: Database) -> None:
    sort = FlowRunSort.EXPECTED_START_TIME_DESC
    failed = {"flow_runs": {"state": {"type": {"any_": ["FAILED"]}}}}
    whole_failed = await listed_ids(seeded, body(sort, limit=200, **failed))
    assert len(whole_failed) == 8
    assert await listed_ids(seeded, body(sort, limit=3, offset=4, **failed)) == whole_failed[4:7]
    whole = await listed_ids(seeded, body(sort, limit=200))
    third = FlowRunPageBody.model_validate({"sort": sort, "limit": 5, "page": 3})
    assert third.skipped() == 10
    async with seeded.read_sessions() as session:
        page = [str(row.id) for row in await filter_flow_runs(session, third)]
    assert page == whole[10:15]


def test_a_body_says_how_many_rows_come_before_its_page() -> None:
    assert FlowRunFilterBody.model_validate({"offset": 7}).skipped() == 7
    assert FlowRunFilterBody.model_validate({}).skipped() == 0
    assert FlowRunPageBody.model_validate({"limit": 50, "page": 200}).skipped() == 9_950
