"""Seed the reference Prefect server's SQLite database with a work pool benchmark's flow runs.

    <prefect venv>/bin/python bench/seed_prefect_flow_runs.py --database PATH --flow-id ID
        --work-queue-id ID --work-queue-name NAME --total N --due N --ahead N
        --due-from ISO --due-until ISO

Run by the reference server's own Python (bench/bench_work_pool_polling.py does it), so that
Prefect's table definitions encode ids, times and JSON exactly as its server reads them. The
plan of runs is bench/pool_runs.py's, the same one Signalbox is seeded with.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prefect.server.database import orm_models  # the reference's tables, for their types
from sqlalchemy import create_engine, event

from bench.pool_runs import Plan, PlannedRun, chunks, planned_runs

CHUNK_ROWS: Final = 10_000
#: How SQLite holds a time (naive UTC) and an interval (the epoch plus it) in Prefect's file.
SQLITE_TIME: Final = "%Y-%m-%d %H:%M:%S.%f"
EPOCH: Final = datetime(1970, 1, 1)


def flow_run_row(run: PlannedRun, args: argparse.Namespace) -> dict[str, Any]:
    return {
        "id": run.id,
        "created": run.expected_start_time - timedelta(seconds=1),
        "updated": run.state_timestamp,
        "name": run.name,
        "flow_id": args.flow_id,
        "state_id": run.state_id,
        "state_type": run.state_type,
        "state_name": run.state_name,
        "state_timestamp": run.state_timestamp,
        "run_count": 1 if run.start_time else 0,
        "expected_start_time": run.expected_start_time,
        "next_scheduled_start_time": run.next_scheduled_start_time,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "total_run_time": timedelta(seconds=run.run_seconds),
        "parameters": {},
        "context": {},
        "empirical_policy": {},
        "tags": [],
        "labels": {},
        "job_variables": {},
        "auto_scheduled": run.state_type == "SCHEDULED",
        "work_queue_id": args.work_queue_id,
        "work_queue_name": args.work_queue_name,
    }


def state_row(run: PlannedRun) -> dict[str, Any]:
    details: dict[str, Any] = {"flow_run_id": str(run.id)}
    if run.next_scheduled_start_time is not None:
        when = run.next_scheduled_start_time.astimezone(UTC)
        details["scheduled_time"] = when.isoformat().replace("+00:00", "Z")
    return {
        "id": run.state_id,
        "created": run.state_timestamp,
        "updated": run.state_timestamp,
        "flow_run_id": run.id,
        "type": run.state_type,
        "name": run.state_name,
        "timestamp": run.state_timestamp,
        "state_details": details,
    }


def fast_encoders(engine: Any) -> tuple[Callable[[Any], Any], Callable[[dict[str, Any]], str]]:
    """How a value and a state's details are stored in Prefect's SQLite file, quickly.

    Prefect's column types validate each value with pydantic, about a thousand rows a second;
    these write the same text. `check_encoding` compares them with Prefect's own on a row.
    """
    details_type = orm_models.FlowRunState.__table__.c["state_details"].type
    template = json.loads(details_type._cached_bind_processor(engine.dialect)({}))

    def encode(value: Any) -> Any:
        if isinstance(value, UUID):
            return str(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).strftime(SQLITE_TIME)
        if isinstance(value, timedelta):
            return (EPOCH + value).strftime(SQLITE_TIME)
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, dict | list):
            return json.dumps(value)
        return value

    def encode_details(details: dict[str, Any]) -> str:
        return json.dumps(template | details)

    return encode, encode_details


def check_encoding(engine: Any, table: Any, row: dict[str, Any], fast: dict[str, Any]) -> None:
    """Refuse to seed if our text differs from what Prefect's column types would store."""
    for name, value in row.items():
        processor = table.c[name].type._cached_bind_processor(engine.dialect)
        expected = processor(value) if processor else value
        if isinstance(expected, str) and expected.startswith("{"):
            same = json.loads(expected) == json.loads(fast[name])
        else:
            same = expected == fast[name]
        if not same:
            raise SystemExit(
                f"{table.name}.{name}: Prefect stores {expected!r}, not {fast[name]!r}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="the reference's prefect.db")
    parser.add_argument("--flow-id", required=True)
    parser.add_argument("--work-queue-id", required=True)
    parser.add_argument("--work-queue-name", required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--due", type=int, required=True)
    parser.add_argument("--ahead", type=int, required=True)
    parser.add_argument("--due-from", type=datetime.fromisoformat, required=True)
    parser.add_argument("--due-until", type=datetime.fromisoformat, required=True)
    parser.add_argument("--seed", type=int, default=14, help="the plan's random seed")
    args = parser.parse_args()
    args.flow_id, args.work_queue_id = UUID(args.flow_id), UUID(args.work_queue_id)
    plan = Plan(args.total, args.due, args.ahead, args.due_from, args.due_until, args.seed)
    engine = create_engine(f"sqlite:///{args.database}")

    @event.listens_for(engine, "connect")
    def tune(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=60000")  # the running server writes too
        cursor.execute("PRAGMA cache_size=-262144")
        cursor.close()

    started = time.monotonic()
    runs = orm_models.FlowRun.__table__
    states = orm_models.FlowRunState.__table__
    encode, encode_details = fast_encoders(engine)
    empirical_policy = runs.c["empirical_policy"].type._cached_bind_processor(engine.dialect)({})
    written = 0
    with engine.begin() as connection:
        cursor = connection.connection.cursor()  # the DBAPI cursor: executemany of plain text
        for chunk in chunks(planned_runs(plan), CHUNK_ROWS):
            run_rows = [flow_run_row(run, args) for run in chunk]
            state_rows = [state_row(run) for run in chunk]
            fast_runs = [
                {name: encode(value) for name, value in row.items()}
                | {"empirical_policy": empirical_policy}
                for row in run_rows
            ]
            fast_states = [
                {name: encode(value) for name, value in row.items()}
                | {"state_details": encode_details(row["state_details"])}
                for row in state_rows
            ]
            if written == 0:
                check_encoding(engine, runs, run_rows[0], fast_runs[0])
                check_encoding(engine, states, state_rows[0], fast_states[0])
            for table, rows in ((runs, fast_runs), (states, fast_states)):
                columns = list(rows[0])
                cursor.executemany(
                    f"INSERT INTO {table.name} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})",
                    [tuple(row[column] for column in columns) for row in rows],
                )
            written += len(chunk)
            if written % 100_000 == 0:
                print(f"# seeded {written:,} flow runs into Prefect", file=sys.stderr, flush=True)
    # No ANALYZE: the server never runs one on SQLite, and neither is Signalbox's file analyzed.
    engine.dispose()
    print(f"{time.monotonic() - started:.1f}")


if __name__ == "__main__":
    main()
