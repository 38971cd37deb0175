#!/usr/bin/env python3
"""Benchmark: the scheduler making the runs of 1,000 deployments on one-minute intervals.

    python bench/bench_scheduler.py [--targets signalbox,prefect]
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--deployments 1000] [--interval 60] [--runs-per-deployment 60]
        [--settle-seconds 15] [--timeout 900] [--out bench/results/scheduler-<stamp>.jsonl]

For each target in turn (Signalbox by `signalbox server start` with a fresh home, on SQLite
or on a throwaway database of --database-url; the reference Prefect 3.9.1 server on its own
SQLite), it creates one flow and --deployments deployments of it through the API, each with
one active interval schedule of --interval seconds, as `flow.serve()` sends them. Then it
counts the flow's SCHEDULED runs once a second (`POST /api/flow_runs/count`) until there are
at least deployments x --runs-per-deployment (Prefect's scheduler makes the runs of the next
hour: 60 for a one-minute interval) and the count has not moved for --settle-seconds.

Reported per target (a RESULT line of JSON each, appended to --out): how long creating the
deployments took, the seconds from the first deployment until the first run, until the
target count and until the count settled, the runs created, runs created per second, the
CPU of the server's processes by role over the whole time, its CPU seconds per 1,000 runs
made, and the load average before and after. Everything listens on 127.0.0.1; every process
started here is stopped at the end, on error and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import aiohttp

# Run as `python bench/bench_scheduler.py`: the repository root holds bench/, models/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.targets import (
    CpuWatch,
    client_session,
    parse_target_args,
    run_on_targets,
    say,
    start_target,
    target_parser,
)

#: Times one deployment is sent before it counts as not created.
CREATE_ATTEMPTS: Final = 5
#: Seconds between two counts of the scheduled runs.
COUNT_EVERY_SECONDS: Final = 1.0


@dataclass
class Measurement:
    target: str
    database: str
    deployments: int
    interval_seconds: float
    expected_runs: int
    created: int = 0
    create_seconds: float = 0.0
    first_run_seconds: float | None = None
    target_seconds: float | None = None
    settled_seconds: float | None = None
    runs: int = 0
    counts: list[tuple[float, int]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        done = self.settled_seconds or self.target_seconds
        return {
            "benchmark": "scheduler",
            "target": self.target,
            "database": self.database,
            "deployments": self.deployments,
            "deployments_created": self.created,
            "interval_seconds": self.interval_seconds,
            "expected_runs": self.expected_runs,
            "create_seconds": round(self.create_seconds, 2),
            "first_run_seconds": self.first_run_seconds,
            "target_seconds": self.target_seconds,
            "settled_seconds": self.settled_seconds,
            "runs": self.runs,
            # Runs over the time until the count reached the target (the scheduler's work).
            "runs_per_second": round(self.runs / self.target_seconds, 1)
            if self.target_seconds
            else None,
            "timed_out": done is None,
            "counts": self.counts,
            "errors": self.errors,
        }


def deployment_body(flow_id: str, number: int, interval: float) -> dict[str, Any]:
    """A deployment with one interval schedule, as `flow.serve()` creates it."""
    anchor = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "name": f"bench-{number:04d}",
        "flow_id": flow_id,
        "paused": False,
        "schedules": [
            {
                "schedule": {"interval": interval, "anchor_date": anchor, "timezone": "UTC"},
                "active": True,
                "max_scheduled_runs": None,
                "parameters": {},
                "slug": None,
            }
        ],
        "concurrency_limit": None,
        "concurrency_options": None,
        "enforce_parameter_schema": False,
        "parameters": {},
        "tags": ["bench-scheduler"],
        "labels": {},
        "work_queue_name": None,
        "path": ".",
        "entrypoint": "bench.py:scheduled",
        "job_variables": {},
    }


async def measure(api_url: str, measurement: Measurement, args: argparse.Namespace) -> None:
    """Create the deployments, then count the runs until done or out of time."""
    async with client_session() as http:
        flow_name = f"bench-scheduled-{uuid4().hex[:8]}"
        async with http.post(f"{api_url}/flows/", json={"name": flow_name}) as response:
            flow_id = str((await response.json())["id"])
        started = time.monotonic()
        numbers = iter(range(args.deployments))

        async def create(body: dict[str, Any]) -> bool:
            """One deployment; an upsert by flow and name, so a failure is sent again."""
            for attempt in range(CREATE_ATTEMPTS):
                try:
                    async with http.post(f"{api_url}/deployments/", json=body) as response:
                        status = response.status
                        if status == 404:
                            raise SystemExit(f"POST /deployments/: {await response.text()}")
                except (aiohttp.ClientConnectionError, TimeoutError) as error:
                    status, key = 0, f"create {type(error).__name__}"
                else:
                    if status in (200, 201):
                        return True
                    key = f"create {status}"
                measurement.errors[key] = measurement.errors.get(key, 0) + 1
                await asyncio.sleep(0.5 * (attempt + 1))  # the reference's SQLite was busy
            return False

        async def creator() -> None:
            for number in numbers:
                if await create(deployment_body(flow_id, number, args.interval)):
                    measurement.created += 1

        count_body = {
            "flows": {"id": {"any_": [flow_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        }

        async def count() -> int:
            async with http.post(f"{api_url}/flow_runs/count", json=count_body) as response:
                return int(await response.json())

        async def watch() -> None:
            changed_at, last = time.monotonic(), -1
            while (now := time.monotonic()) - started < args.timeout:
                try:
                    runs = await count()
                except (aiohttp.ClientConnectionError, TimeoutError) as error:
                    key = f"count {type(error).__name__}"  # a read: asked again next time
                    measurement.errors[key] = measurement.errors.get(key, 0) + 1
                    await asyncio.sleep(COUNT_EVERY_SECONDS)
                    continue
                elapsed = round(now - started, 2)
                measurement.counts.append((elapsed, runs))
                if runs and measurement.first_run_seconds is None:
                    measurement.first_run_seconds = elapsed
                if runs >= measurement.expected_runs and measurement.target_seconds is None:
                    measurement.target_seconds = elapsed
                if runs != last:
                    changed_at, last = now, runs
                measurement.runs = runs
                settled = now - changed_at >= args.settle_seconds
                if measurement.target_seconds is not None and settled:
                    measurement.settled_seconds = round(changed_at - started, 2)
                    return
                await asyncio.sleep(COUNT_EVERY_SECONDS)

        watcher = asyncio.create_task(watch())
        await asyncio.gather(*(creator() for _ in range(args.create_concurrency)))
        measurement.create_seconds = time.monotonic() - started
        # The target is the runs of the deployments that exist.
        measurement.expected_runs = measurement.created * args.runs_per_deployment
        await watcher


def measure_target(
    target: str, args: argparse.Namespace, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    started = start_target(target, args.database_url, workdir, stack)
    measurement = Measurement(target, started.database, args.deployments, args.interval,
                              args.deployments * args.runs_per_deployment)  # fmt: skip
    cpu = CpuWatch(target, started)
    say(f"Creating {args.deployments} deployments on {target} and counting their runs...")
    asyncio.run(measure(started.server.api_url, measurement, args))
    summary = measurement.summary()
    used = cpu.read()
    summary |= used.summary_fields()
    # CPU seconds per thousand runs made: the cost of the scheduling itself.
    if measurement.runs:
        summary["cpu_seconds_per_1000_runs"] = round(used.seconds / measurement.runs * 1000, 3)
    return summary


def parse_args() -> argparse.Namespace:
    parser = target_parser(__doc__, "scheduler")
    parser.add_argument("--deployments", type=int, default=1_000)
    parser.add_argument("--interval", type=float, default=60.0, help="schedule, in seconds")
    parser.add_argument("--runs-per-deployment", type=int, default=60,
                        help="runs each deployment should get (an hour of them)")  # fmt: skip
    parser.add_argument("--create-concurrency", type=int, default=4,
                        help="deployments created at once")  # fmt: skip
    parser.add_argument("--settle-seconds", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds, per target")
    return parse_target_args(parser)


if __name__ == "__main__":
    run_on_targets("scheduler", parse_args(), measure_target)
