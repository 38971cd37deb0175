"""Seeding: put N finished flow runs straight into a Signalbox database, for the read benchmark.

    python bench/seed_flow_runs.py --database-url URL [--runs 1000000] [--flows 100]

Writes flows, then flow runs with their current state copied onto the row and one
flow_run_state row each, with bulk Core inserts in chunks (one transaction per chunk, so a
server running on the same SQLite file still gets the write lock between chunks). Every run
is in a terminal state: a SCHEDULED or RUNNING run would give the periodic services (late
runs, crash detection) work to do and disturb the measurement. Migrates the database to head
first; safe to run twice (it adds N more runs).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID, uuid4

# Run as `python bench/seed_flow_runs.py`: the repository root holds models/ and migrations/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Connection, create_engine, event, insert, text
from sqlalchemy.engine import URL, make_url

from migrations import commands
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.runs.names import ADJECTIVES, ANIMALS
from models.settings import Settings
from models.states import StateType

#: Flow runs written per transaction.
CHUNK_ROWS: Final = 10_000
#: How far back in time the seeded runs were expected to start.
HISTORY_DAYS: Final = 90
#: Final states of the seeded runs and how often each occurs (a plausible production mix).
FINAL_STATES: Final = (
    (StateType.COMPLETED, "Completed", "All states completed.", 0.90),
    (StateType.FAILED, "Failed", "Flow run encountered an exception: ValueError", 0.07),
    (StateType.CANCELLED, "Cancelled", "The parent flow run was cancelled.", 0.02),
    (StateType.CRASHED, "Crashed", "Flow run infrastructure exited with non-zero status.", 0.01),
)
#: Tag sets the seeded runs carry, picked at random.
TAG_SETS: Final[tuple[list[str], ...]] = (
    ["etl"],
    ["etl", "nightly"],
    ["reporting"],
    ["ml", "training"],
    [],
)
#: Prefect's default retry policy, as the client sends it.
EMPIRICAL_POLICY: Final = {
    "max_retries": 0,
    "retry_delay_seconds": 0.0,
    "retries": 0,
    "retry_delay": 0,
    "pause_keys": [],
    "resuming": False,
    "retry_type": None,
}


def sync_url(database_url: str) -> URL:
    """The same database through a synchronous driver (bulk inserts need no event loop)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite")
    return url.set(drivername="postgresql+psycopg")


def flow_rows(count: int) -> list[dict[str, Any]]:
    """`count` flows with names unique to this seeding."""
    now, batch = datetime.now(UTC), uuid4().hex[:6]
    return [
        {
            "id": uuid4(),
            "created": now,
            "updated": now,
            "name": f"seed-{batch}-flow-{number:03d}",
            "tags": ["seed"],
            "labels": {},
        }
        for number in range(count)
    ]


def run_rows(
    flow_ids: list[UUID], count: int, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`count` finished flow runs of random flows, and the current-state row of each."""
    now = datetime.now(UTC)
    weights = [share for *_, share in FINAL_STATES]
    finals = rng.choices(FINAL_STATES, weights=weights, k=count)
    runs, states = [], []
    for state_type, state_name, message, _ in finals:
        # Ids and names from the seeded generator: a million calls to os.urandom cost seconds.
        run_id = UUID(int=rng.getrandbits(128), version=4)
        state_id = UUID(int=rng.getrandbits(128), version=4)
        expected = now - timedelta(seconds=rng.uniform(60, HISTORY_DAYS * 86_400))
        started = expected + timedelta(seconds=rng.uniform(0.2, 5.0))
        duration = rng.lognormvariate(3.0, 1.2)  # median about 20 s, a long tail of hours
        ended = started + timedelta(seconds=duration)
        runs.append(
            {
                "id": run_id,
                "created": expected - timedelta(seconds=1),
                "updated": ended,
                "name": f"{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}",
                "flow_id": rng.choice(flow_ids),
                "flow_version": "a1b2c3d4e5f6",
                "state_id": state_id,
                "state_type": state_type,
                "state_name": state_name,
                "state_timestamp": ended,
                "run_count": 1,
                "expected_start_time": expected,
                "next_scheduled_start_time": None,
                "start_time": started,
                "end_time": ended,
                "total_run_time_seconds": duration,
                "parameters": {"day": expected.date().isoformat(), "limit": rng.randint(1, 500)},
                "context": {},
                "tags": rng.choice(TAG_SETS),
                "labels": {},
                "empirical_policy": EMPIRICAL_POLICY,
                "job_variables": {},
                "idempotency_key": None,
                "parent_task_run_id": None,
                "auto_scheduled": False,
                "created_by": None,
            }
        )
        states.append(
            {
                "id": state_id,
                "created": ended,
                "flow_run_id": run_id,
                "type": state_type,
                "name": state_name,
                "timestamp": ended,
                "message": message,
                "state_details": {"flow_run_id": str(run_id)},
                "data": None,
            }
        )
    return runs, states


def chunk_sizes(total: int, chunk: int) -> Iterator[int]:
    while total > 0:
        yield min(chunk, total)
        total -= chunk


def seed_flow_runs(
    database_url: str,
    runs: int,
    *,
    flows: int = 100,
    chunk: int = CHUNK_ROWS,
    seed: int | None = None,
) -> float:
    """Migrate to head, then write `flows` flows and `runs` flow runs; return the seconds taken.

    `seed` makes the rows repeatable; without it every call writes new ids.
    """
    commands.upgrade(Settings(database_url=database_url))
    started = time.monotonic()
    url = sync_url(database_url)
    engine = create_engine(url)
    if url.get_backend_name() == "sqlite":

        @event.listens_for(engine, "connect")
        def tune(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # A running server may hold the write lock for a moment between our chunks.
            cursor.execute("PRAGMA busy_timeout=60000")
            # Random UUID keys touch pages all over each index: keep them in memory.
            cursor.execute("PRAGMA cache_size=-262144")
            cursor.execute("PRAGMA synchronous=OFF")  # benchmark data: losing it is harmless
            cursor.close()

    rng = random.Random(seed)
    try:
        with engine.begin() as connection:
            flow_batch = flow_rows(flows)
            connection.execute(insert(Flow), flow_batch)
        flow_ids = [row["id"] for row in flow_batch]
        written = 0
        for size in chunk_sizes(runs, chunk):
            run_batch, state_batch = run_rows(flow_ids, size, rng)
            with engine.begin() as connection:
                connection.execute(insert(FlowRun), run_batch)
                connection.execute(insert(FlowRunState), state_batch)
            written += size
            if written % 100_000 == 0 or written == runs:
                rate = written / (time.monotonic() - started)
                print(f"# seeded {written:,} flow runs ({rate:,.0f}/s)", file=sys.stderr)
        with engine.begin() as connection:
            analyze(connection)
    finally:
        engine.dispose()
    return time.monotonic() - started


def analyze(connection: Connection) -> None:
    """Refresh PostgreSQL's planner statistics, as autovacuum would a minute later."""
    # SQLite keeps no statistics unless asked, and a Signalbox server never asks: leave it so.
    if connection.dialect.name == "postgresql":
        connection.execute(text("ANALYZE flow, flow_run, flow_run_state"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default=None, help="default: SIGNALBOX_DATABASE_URL or ~/.signalbox"
    )
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--flows", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=CHUNK_ROWS)
    args = parser.parse_args()
    database_url = args.database_url or Settings().database_url
    seconds = seed_flow_runs(database_url, args.runs, flows=args.flows, chunk=args.chunk)
    print(f"Seeded {args.runs:,} flow runs in {seconds:.1f} s ({args.runs / seconds:,.0f}/s).")


if __name__ == "__main__":
    main()
