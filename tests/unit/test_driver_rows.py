"""Rows handed to SQLite's driver are stored exactly as SQLAlchemy's Core statements store them."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import Engine, create_engine

from models.db.base import Base
from models.events.tables import EVENT_ROWS
from models.runs.task_runs import INSERT_TASK_RUN_STATES, UPSERT_TASK_RUNS
from models.schemas.events import Event
from models.schemas.task_run_events import TaskRunStateRows, task_run_state_rows
from models.schemas.task_run_events_fast_path import read_task_run_state_events
from tests.integration.events import task_run_event

TABLES = ("task_run", "task_run_state", "event")
NOW = datetime.fromisoformat("2026-12-07T17:00:00.5+00:00")


def engine_at(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[name] for name in TABLES])
    return engine


def event_rows() -> list[TaskRunStateRows]:
    """A run's whole life, a second run's states out of order, and rows the models read."""
    task_run, flow_run, other = str(uuid4()), str(uuid4()), str(uuid4())
    events = [
        task_run_event(task_run, flow_run, "PENDING", "Pending", seconds=0.5),
        task_run_event(task_run, flow_run, "RUNNING", "Running", seconds=1.5),
        task_run_event(task_run, flow_run, "COMPLETED", "Completed", seconds=2.25),
        task_run_event(other, flow_run, "RUNNING", "Running", seconds=3, run_count=2),
        task_run_event(other, flow_run, "PENDING", "Pending", seconds=1),
    ]
    events[2]["payload"]["validated_state"]["message"] = "All done: ünïcode ✓"
    events[3]["payload"]["validated_state"]["data"] = {"storage_key": "a", "n": [1, 2.5, None]}
    rows, rejected = read_task_run_state_events(events)
    assert not rejected
    unusual = task_run_event(str(uuid4()), flow_run, "FAILED", "Failed", seconds=4)
    unusual["occurred"] = "2026-11-25T20:01:45.123+02:00"
    return [*rows, task_run_state_rows(Event.model_validate(unusual))]


def write(engine: Engine, rows: list[TaskRunStateRows], *, driver: bool) -> None:
    runs = [row.task_run | {"created": NOW, "updated": NOW} for row in rows]
    states = [row.state | {"created": NOW} for row in rows]
    events = [row.event | {"received": NOW} for row in rows]
    with engine.begin() as connection:
        for statement, batch in (
            (UPSERT_TASK_RUNS, runs),
            (INSERT_TASK_RUN_STATES, states),
            (EVENT_ROWS, events),
        ):
            if driver:
                statement.execute(connection, batch)
            else:
                connection.execute(statement.statements["sqlite"], batch)


def stored(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(path) as connection:
        return {
            table: connection.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            for table in TABLES
        }


def test_driver_rows_store_what_core_stores(tmp_path: Path) -> None:
    rows = event_rows()
    core, driver = tmp_path / "core.db", tmp_path / "driver.db"
    # Twice: the second time every run exists, and only newer states move it.
    for _ in range(2):
        write(engine_at(core), rows, driver=False)
        write(engine_at(driver), rows, driver=True)
    assert stored(driver) == stored(core)
    assert len(stored(driver)["task_run"]) == 3


def test_a_row_without_a_column_is_refused(tmp_path: Path) -> None:
    row = event_rows()[0].event | {"received": NOW}
    del row["follows"]
    with engine_at(tmp_path / "driver.db").begin() as connection, pytest.raises(KeyError):
        EVENT_ROWS.execute(connection, [row])


def test_a_naive_time_is_refused(tmp_path: Path) -> None:
    row = event_rows()[0].event | {"received": datetime(2026, 12, 7, 17)}
    with engine_at(tmp_path / "driver.db").begin() as connection, pytest.raises(ValueError):
        EVENT_ROWS.execute(connection, [row])
