"""Writers of overlapping batches lock rows in one order, so PostgreSQL never deadlocks them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from models.db.database import Database
from models.runs.task_runs import TaskRun, record_task_run_states
from models.schemas.task_run_events_fast_path import read_task_run_state_events
from tests.integration.events import task_run_event

#: Two task runs whose ids sort B before A.
RUN_A = "f0000000-0000-4000-8000-00000000000a"
RUN_B = "10000000-0000-4000-8000-00000000000b"
FLOW_RUN = "20000000-0000-4000-8000-000000000000"


@pytest.fixture
def engine(postgresql_url: str) -> Iterator[Engine]:
    engine = create_engine(postgresql_url.replace("+psycopg_async", "+psycopg"))
    yield engine
    engine.dispose()


def rows_of(*runs_and_seconds: tuple[str, float]) -> list:
    events = [
        task_run_event(run, FLOW_RUN, "RUNNING", "Running", seconds=seconds)
        for run, seconds in runs_and_seconds
    ]
    rows, rejected = read_task_run_state_events(events)
    assert rejected == []
    return rows


def waits_on_a_lock(engine: Engine, application_name: str) -> bool:
    with engine.connect() as connection:
        waiting = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = :name AND wait_event_type = 'Lock'"
            ),
            {"name": application_name},
        )
        return bool(waiting.scalar())


def write_in_opposite_orders(engine: Engine) -> None:
    """X holds run B; Y writes A then B (its events' time order); X then writes A.

    Written in time order, Y would hold A while waiting for B, and X wait for A: a
    deadlock. Written in id order, Y waits for B first, holding nothing X needs.
    """
    with Session(engine) as x, ThreadPoolExecutor(1) as pool:
        x.execute(text("SET lock_timeout = '10s'"))
        record_task_run_states(x, rows_of((RUN_B, 2)))

        def write_y() -> None:
            with Session(engine) as y, y.begin():
                y.execute(text("SET application_name = 'signalbox-writer-y'"))
                y.execute(text("SET lock_timeout = '10s'"))
                record_task_run_states(y, rows_of((RUN_A, 0), (RUN_B, 1)))

        y_done = pool.submit(write_y)
        deadline = time.monotonic() + 10
        while not waits_on_a_lock(engine, "signalbox-writer-y"):
            assert not y_done.done(), y_done.result()
            assert time.monotonic() < deadline, "writer Y never waited for writer X"
            time.sleep(0.01)
        record_task_run_states(x, rows_of((RUN_A, 3)))
        x.commit()
        y_done.result(timeout=20)


async def test_two_writers_sharing_task_runs_in_opposite_orders_both_commit(
    database: Database, engine: Engine
) -> None:
    await asyncio.to_thread(write_in_opposite_orders, engine)

    async with database.read_sessions() as session:
        runs = list(await session.scalars(select(TaskRun.id)))
    assert sorted(runs) == [UUID(RUN_B), UUID(RUN_A)]
