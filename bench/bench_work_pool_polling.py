#!/usr/bin/env python3
"""Benchmark: Prefect workers polling one work pool of a database with a million flow runs.

    python bench/bench_work_pool_polling.py [--targets signalbox,prefect]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--runs 1000000] [--due 6000] [--ahead 20000] [--workers 20] [--interval 2]
        [--seconds 60] [--seeded DIR] [--out bench/results/polling-<stamp>.jsonl]

For each target in turn (Signalbox by `signalbox server start` with a fresh home, on SQLite
or on a throwaway database of --database-url; the reference Prefect 3.9.1 server on its own
SQLite), it creates a `process` work pool and a flow through the API, seeds --runs flow runs
straight into the server's database (history, runs scheduled far ahead, and --due runs that
come due evenly during the measurement; bench/pool_runs.py is the plan), then runs --workers
simulated Prefect workers for --seconds. Each polls
`POST /api/work_pools/{name}/get_scheduled_flow_runs` every --interval seconds as a Prefect
worker does (its name in X-Prefect-Worker-Name, scheduled_before = now + 10 s) and proposes
PENDING for every run it is handed, as the worker does to claim it: the orchestration rules
let exactly one worker have each run.

With --seeded DIR (SQLite only), the database as it is after the history and the runs ahead
are seeded is kept in DIR (`<target>-<runs>-<ahead>.db`), and a later run with the same DIR and
sizes starts its server on a copy of it: the pool and the flow are read back through the API
and only the --due runs are seeded. A million runs take minutes to seed; a copy, seconds.
`--seconds 0` only seeds (with --seeded: keeps the file for the runs after).

Reported per target (a RESULT line of JSON each, appended to --out): the poll latency
(p50, p95, p99, max), runs handed out and claimed per second, claims a second worker also got
(must be 0), runs still unclaimed when due, the set_state latency, the CPU of the server's
processes by role and its CPU seconds per 1,000 polls, the load average before and after,
and whether the seeded database was reused. Everything listens on 127.0.0.1; every process
started here is stopped at the end, on error and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import UUID

import aiohttp

# Run as `python bench/bench_work_pool_polling.py`: the repository root holds bench/, models/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pool_runs import Plan, PlannedRun, chunks, planned_runs
from bench.servers import REPOSITORY
from bench.targets import (
    REQUEST_TIMEOUT_SECONDS,
    CpuWatch,
    StartedTarget,
    client_session,
    parse_target_args,
    run_on_targets,
    say,
    start_target,
    target_parser,
)
from tests.compat.prefect_client import prefect_python

POOL: Final = "bench-pool"
#: How far ahead a Prefect worker asks for runs (its prefetch), as the traces show.
PREFETCH_SECONDS: Final = 10.0
#: Seconds between the end of seeding and the first due run.
DUE_LEAD_SECONDS: Final = 5.0
#: Claims one simulated worker proposes at once.
CLAIMS_AT_ONCE: Final = 4
CHUNK_ROWS: Final = 10_000


@dataclass
class Measurement:
    target: str
    database: str
    workers: int
    interval: float
    seconds: float
    runs_in_database: int
    due: int
    poll_ms: list[float] = field(default_factory=list)
    claim_ms: list[float] = field(default_factory=list)
    handed_out: int = 0
    claimed: set[str] = field(default_factory=set)
    second_claims: int = 0
    lost_races: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        polls = sorted(self.poll_ms)
        claims = sorted(self.claim_ms)
        seconds = max(self.seconds, 1e-9)  # --seconds 0: only seeds (with --seeded)
        return {
            "benchmark": "work_pool_polling",
            "target": self.target,
            "database": self.database,
            "workers": self.workers,
            "interval_seconds": self.interval,
            "seconds": self.seconds,
            "runs_in_database": self.runs_in_database,
            "due_runs": self.due,
            "polls": len(polls),
            "poll_ms": percentiles(polls),
            "handed_out": self.handed_out,
            "handed_out_per_second": round(self.handed_out / seconds, 1),
            "claimed": len(self.claimed),
            "claimed_per_second": round(len(self.claimed) / seconds, 1),
            "second_claims": self.second_claims,
            "lost_races": self.lost_races,
            "set_state_ms": percentiles(claims),
            "errors": dict(self.errors),
        }


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max of sorted values, in ms."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}

    def at(share: float) -> float:
        return round(values[min(int(share * len(values)), len(values) - 1)], 2)

    return {"p50": round(statistics.median(values), 2), "p95": at(0.95), "p99": at(0.99),
            "max": round(values[-1], 2)}  # fmt: skip


async def create_pool_and_flow(api_url: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The work pool (as the API answers it), its default queue, and a flow's id."""
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{api_url}/work_pools/", json={"name": POOL, "type": "process"}
        ) as response:
            if response.status != 201:
                raise SystemExit(f"POST /work_pools/ answered {response.status}: "
                                 f"{await response.text()}")  # fmt: skip
            pool = await response.json()
        async with http.post(f"{api_url}/work_pools/{POOL}/queues/filter", json={}) as response:
            queues = await response.json()
        queue = next(q for q in queues if q["id"] == pool["default_queue_id"])
        async with http.post(f"{api_url}/flows/", json={"name": "bench-polled-flow"}) as response:
            flow = await response.json()
    return pool, queue, str(flow["id"])


async def find_pool_and_flow(api_url: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    """The same three, read back from a database seeded by an earlier run."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api_url}/work_pools/{POOL}") as response:
            if response.status != 200:
                raise SystemExit(f"The seeded database has no pool {POOL}: {response.status}")
            pool = await response.json()
        async with http.post(f"{api_url}/work_pools/{POOL}/queues/filter", json={}) as response:
            queues = await response.json()
        queue = next(q for q in queues if q["id"] == pool["default_queue_id"])
        async with http.get(f"{api_url}/flows/name/bench-polled-flow") as response:
            flow = await response.json()
    return pool, queue, str(flow["id"])


def keep_snapshot(database: Path, snapshot: Path) -> None:
    """A consistent copy of the server's live SQLite file (its online backup), kept for reuse."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    partial = snapshot.with_suffix(".partial")
    source, copy = sqlite3.connect(database), sqlite3.connect(partial)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    partial.replace(snapshot)


def signalbox_rows(
    runs: list[PlannedRun], flow_id: UUID, pool: dict[str, Any], queue: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Signalbox's flow_run and flow_run_state rows for a chunk of the plan."""
    from bench.seed_flow_runs import EMPIRICAL_POLICY
    from models.states import StateType

    run_rows, state_rows = [], []
    for run in runs:
        state_type = StateType(run.state_type)
        details: dict[str, Any] = {"flow_run_id": str(run.id)}
        if run.next_scheduled_start_time is not None:
            details["scheduled_time"] = run.next_scheduled_start_time.isoformat()
        run_rows.append({
            "id": run.id, "created": run.expected_start_time - timedelta(seconds=1),
            "updated": run.state_timestamp, "name": run.name, "flow_id": flow_id,
            "state_id": run.state_id, "state_type": state_type, "state_name": run.state_name,
            "state_timestamp": run.state_timestamp, "run_count": 1 if run.start_time else 0,
            "expected_start_time": run.expected_start_time,
            "next_scheduled_start_time": run.next_scheduled_start_time,
            "start_time": run.start_time, "end_time": run.end_time,
            "total_run_time_seconds": run.run_seconds, "parameters": {}, "context": {},
            "tags": [], "labels": {}, "empirical_policy": EMPIRICAL_POLICY, "job_variables": {},
            "auto_scheduled": state_type is StateType.SCHEDULED,
            "work_pool_id": UUID(pool["id"]), "work_pool_name": pool["name"],
            "work_queue_id": UUID(queue["id"]), "work_queue_name": queue["name"],
        })  # fmt: skip
        state_rows.append({
            "id": run.state_id, "created": run.state_timestamp, "flow_run_id": run.id,
            "type": state_type, "name": run.state_name, "timestamp": run.state_timestamp,
            "message": None, "state_details": details, "data": None,
        })  # fmt: skip
    return run_rows, state_rows


def seed_signalbox(
    database_url: str, plan: Plan, flow_id: str, pool: dict[str, Any], queue: dict[str, Any]
) -> None:
    from sqlalchemy import create_engine, insert

    from bench.seed_flow_runs import analyze, sync_url
    from models.runs.flow_runs import FlowRun, FlowRunState

    engine = create_engine(sync_url(database_url), connect_args=sqlite_busy(database_url))
    try:
        for chunk in chunks(planned_runs(plan), CHUNK_ROWS):
            run_rows, state_rows = signalbox_rows(chunk, UUID(flow_id), pool, queue)
            with engine.begin() as connection:
                connection.execute(insert(FlowRun), run_rows)
                connection.execute(insert(FlowRunState), state_rows)
        with engine.begin() as connection:
            analyze(connection)  # PostgreSQL's autovacuum would, a minute later
    finally:
        engine.dispose()


def sqlite_busy(database_url: str) -> dict[str, Any]:
    """Wait for the running server's write lock rather than fail (SQLite only)."""
    return {"timeout": 60} if database_url.startswith("sqlite") else {}


def seed_prefect(database: Path, plan: Plan, flow_id: str, queue: dict[str, Any]) -> None:
    """The same plan into the reference's SQLite file, by its own Python and table types."""
    command = [
        str(prefect_python()), str(REPOSITORY / "bench" / "seed_prefect_flow_runs.py"),
        "--database", str(database), "--flow-id", flow_id,
        "--work-queue-id", queue["id"], "--work-queue-name", queue["name"],
        "--total", str(plan.total), "--due", str(plan.due), "--ahead", str(plan.ahead),
        "--due-from", plan.due_from.isoformat(), "--due-until", plan.due_until.isoformat(),
        "--seed", str(plan.seed),
    ]  # fmt: skip
    subprocess.run(command, check=True, cwd=REPOSITORY, stdout=subprocess.DEVNULL)


def seed(
    target: str,
    started: StartedTarget,
    args: argparse.Namespace,
    flow_id: str,
    pool: dict[str, Any],
    queue: dict[str, Any],
    snapshot: Path | None,
    reused: bool,
) -> datetime:
    """Seed the history and the runs ahead unless the server started on a copy of them (keeping
    them as `snapshot` when given), then the due runs; returns when the first is due."""
    never = datetime.now(UTC)
    bulk = Plan(args.runs - args.due, 0, args.ahead, never, never, seed=14)
    began = time.monotonic()
    if not reused:
        say(f"Seeding {bulk.total:,} flow runs into {target}...")
        seed_plan(target, started, bulk, flow_id, pool, queue)
        say(f"Seeded {bulk.total:,} in {time.monotonic() - began:.0f} s.")
        if snapshot is not None:
            assert started.database_file is not None
            keep_snapshot(started.database_file, snapshot)
            say(f"Kept as {snapshot}.")
    due_from = datetime.now(UTC) + timedelta(seconds=DUE_LEAD_SECONDS)
    due = Plan(args.due, args.due, 0, due_from, due_from + timedelta(seconds=args.seconds), 15)
    seed_plan(target, started, due, flow_id, pool, queue)
    return due_from


def seed_plan(
    target: str,
    started: StartedTarget,
    plan: Plan,
    flow_id: str,
    pool: dict[str, Any],
    queue: dict[str, Any],
) -> None:
    """The plan's runs into the started target's database."""
    if target == "prefect":
        assert started.database_file is not None
        seed_prefect(started.database_file, plan, flow_id, queue)
    else:
        assert started.database_url is not None
        seed_signalbox(started.database_url, plan, flow_id, pool, queue)


async def poll_as_workers(api_url: str, measurement: Measurement, start: datetime) -> None:
    """--workers simulated Prefect workers, polling and claiming until the time is up."""
    await asyncio.sleep(max((start - datetime.now(UTC)).total_seconds(), 0))
    deadline = time.monotonic() + measurement.seconds
    async with client_session(measurement.workers * (CLAIMS_AT_ONCE + 1)) as http:

        async def claim(run_id: str) -> None:
            body = {"state": {"type": "PENDING", "name": "Pending", "state_details": {}}}
            started = time.perf_counter()
            try:
                async with http.post(f"{api_url}/flow_runs/{run_id}/set_state", json=body) as r:
                    answer = await r.json(content_type=None)
                    status = r.status
            except (aiohttp.ClientError, TimeoutError) as error:
                measurement.errors[f"set_state {type(error).__name__}"] += 1
                return
            measurement.claim_ms.append((time.perf_counter() - started) * 1000)
            if status not in (200, 201):  # the reference answers 200 when it does not accept
                measurement.errors[f"set_state {status}"] += 1
            elif answer["status"] == "ACCEPT":
                if run_id in measurement.claimed:
                    measurement.second_claims += 1
                measurement.claimed.add(run_id)
            else:
                measurement.lost_races += 1  # another worker had it first: ABORT

        async def worker(number: int) -> None:
            await asyncio.sleep(measurement.interval * number / measurement.workers)  # staggered
            headers = {"X-Prefect-Worker-Name": f"bench-worker-{number}"}
            limit = asyncio.Semaphore(CLAIMS_AT_ONCE)
            submitting: set[str] = set()  # runs this worker is claiming: not proposed twice

            async def claim_one(run_id: str) -> None:
                async with limit:
                    await claim(run_id)
                submitting.discard(run_id)

            while (began := time.monotonic()) < deadline:
                before = datetime.now(UTC) + timedelta(seconds=PREFETCH_SECONDS)
                body = {"work_queue_names": [], "scheduled_before": before.isoformat(sep=" ")}
                started = time.perf_counter()
                try:
                    async with http.post(
                        f"{api_url}/work_pools/{POOL}/get_scheduled_flow_runs",
                        json=body,
                        headers=headers,
                    ) as response:
                        handed = await response.json(content_type=None)
                        status = response.status
                except (aiohttp.ClientError, TimeoutError) as error:
                    measurement.errors[f"poll {type(error).__name__}"] += 1
                    handed, status = [], 0
                if status == 200:
                    measurement.poll_ms.append((time.perf_counter() - started) * 1000)
                    measurement.handed_out += len(handed)
                    # As a Prefect worker does, the claims go on beside the next polls.
                    for entry in handed:
                        run_id = str(entry["flow_run"]["id"])
                        if run_id not in submitting:
                            submitting.add(run_id)
                            claims.add(asyncio.create_task(claim_one(run_id)))
                elif status:
                    measurement.errors[f"poll {status}"] += 1
                await asyncio.sleep(max(began + measurement.interval - time.monotonic(), 0))

        claims: set[asyncio.Task[None]] = set()
        await asyncio.gather(*(worker(number) for number in range(measurement.workers)))
        if claims:  # the claims still on their way, within bounds
            _, late = await asyncio.wait(claims, timeout=REQUEST_TIMEOUT_SECONDS)
            for task in late:
                task.cancel()
            if late:
                measurement.errors["claims unanswered at the end"] += len(late)


def measure_target(
    target: str, args: argparse.Namespace, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    """Start one server, set it up, seed it, poll it; its summary."""
    snapshot = None
    if args.seeded and not (target == "signalbox" and args.database_url):
        snapshot = Path(args.seeded).resolve() / f"{target}-{args.runs - args.due}-{args.ahead}.db"
    reused = snapshot is not None and snapshot.exists()
    copy = snapshot if reused else None
    started = start_target(target, args.database_url, workdir, stack, database_copy=copy)
    api_url = started.server.api_url
    if reused:
        pool, queue, flow_id = asyncio.run(find_pool_and_flow(api_url))
    else:
        pool, queue, flow_id = asyncio.run(create_pool_and_flow(api_url))
    start = seed(target, started, args, flow_id, pool, queue, snapshot, reused)
    measurement = Measurement(target, started.database, args.workers, args.interval,
                              args.seconds, args.runs, args.due)  # fmt: skip
    cpu = CpuWatch(target, started)
    say(f"{args.workers} workers polling {target} every {args.interval} s for {args.seconds} s...")
    asyncio.run(poll_as_workers(api_url, measurement, start))
    summary = measurement.summary()
    used = cpu.read()
    summary |= used.summary_fields()
    # The server's CPU seconds per thousand polls (claims included): steadier on a busy machine.
    if measurement.poll_ms:
        summary["cpu_seconds_per_1000_polls"] = round(
            used.seconds / len(measurement.poll_ms) * 1000, 2
        )
    summary["seeded_database_reused"] = reused
    return summary


def parse_args() -> argparse.Namespace:
    parser = target_parser(__doc__, "polling")
    parser.add_argument("--runs", type=int, default=1_000_000, help="flow runs in the database")
    parser.add_argument("--due", type=int, default=6_000, help="runs coming due while measured")
    parser.add_argument("--ahead", type=int, default=20_000, help="runs scheduled far ahead")
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    parser.add_argument("--seconds", type=float, default=60.0, help="measurement length")
    parser.add_argument("--seeded", help="keep the seeded databases here and reuse them (SQLite)")
    args = parse_target_args(parser)
    if args.due + args.ahead > args.runs:
        parser.error("--due and --ahead cannot exceed --runs")
    return args


if __name__ == "__main__":
    run_on_targets("polling", parse_args(), measure_target)
