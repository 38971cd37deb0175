#!/usr/bin/env python3
"""Benchmark: many clients acquire and release leased slots of one concurrency limit.

Each client loops until the time is up: `increment-with-lease` on the limit, then (after
`--hold-ms`) `decrement-with-lease`; a 423 is followed either by the wait its Retry-After asks
for (`honour`, what the Prefect client does) or by an immediate retry (`eager`, which measures
the server rather than the waiting policy). Reported per mode: acquisitions per second, the
share of 423 answers, acquisition latency, and the most simultaneous holders seen, read from
the server's own records: its `active_slots` counter and its lease rows, sampled in one
statement as fast as the database answers. It must never exceed the limit.

By default the benchmark starts its own Signalbox (`signalbox server start` on 127.0.0.1
with a fresh home, through bench/servers.py): SQLite in that home, or a throwaway database on
the PostgreSQL server of --postgres. With --api-url it targets a running server on loopback;
its records are then sampled through --database-url when given, else through the API.

    python bench/bench_concurrency.py --clients 64 --limit 10 --seconds 10
    python bench/bench_concurrency.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import aiohttp

# Run as `python bench/bench_concurrency.py`: the repository root holds models/ and bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api import check_loopback
from bench.servers import signalbox_database_url, signalbox_server, throwaway_postgres

#: Seconds one request may take before it counts as an error.
REQUEST_TIMEOUT_SECONDS: Final = 30.0


@dataclass
class Run:
    """What one mode measured."""

    mode: str
    clients: int
    limit: int
    seconds: float
    hold_ms: float
    acquisitions: int = 0
    refusals: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    acquire_ms: list[float] = field(default_factory=list)
    samples: int = 0
    most_active_slots: int = 0
    most_leases: int = 0
    most_client_holders: int = 0
    leftover_active_slots: int | None = None

    def summary(self) -> dict[str, Any]:
        answered = self.acquisitions + self.refusals
        latencies = sorted(self.acquire_ms)
        summary = asdict(self)
        del summary["acquire_ms"]
        return summary | {
            "acquisitions_per_second": round(self.acquisitions / self.seconds, 1),
            "refusal_rate": round(self.refusals / answered, 4) if answered else None,
            "acquire_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
            "acquire_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 2)
            if latencies
            else None,
        }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api-url", help="a running API (http://127.0.0.1:PORT/api)")
    parser.add_argument("--database-url", help="the running API's database, to sample it")
    parser.add_argument("--postgres", help="start Signalbox on a throwaway database here")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--hold-ms", type=float, default=0.0, help="how long a slot is held")
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--modes", default="honour,eager", help="honour, eager, or both")
    parser.add_argument("--json-out", help="append one JSON line per mode to this file")
    args = parser.parse_args()
    if args.seconds <= 0 or args.seconds > 600:
        parser.error("--seconds must be within (0, 600]")
    if args.api_url:
        check_loopback(args.api_url)
    return args


@contextlib.asynccontextmanager
async def records_reader(
    http: aiohttp.ClientSession, api_url: str, database_url: str | None, name: str
) -> AsyncIterator[Any]:
    """A coroutine function giving (active_slots, lease rows or None) from the server's records."""
    if database_url is None:

        async def through_api() -> tuple[int, int | None]:
            async with http.get(f"{api_url}/v2/concurrency_limits/{name}") as response:
                return int((await response.json())["active_slots"]), None

        yield through_api
        return

    from sqlalchemy import func, select

    from models.concurrency.tables import ConcurrencyLeaseLimit, ConcurrencyLimit
    from models.db.database import open_database
    from models.settings import Settings

    database = open_database(Settings(database_url=database_url))
    leases = (
        select(func.count())
        .select_from(ConcurrencyLeaseLimit)
        .where(ConcurrencyLeaseLimit.limit_id == ConcurrencyLimit.id)
        .scalar_subquery()
    )
    # One statement: one snapshot on both databases, so the two figures agree in time.
    statement = select(ConcurrencyLimit.active_slots, leases).where(ConcurrencyLimit.name == name)

    async def from_database() -> tuple[int, int | None]:
        async with database.read_sessions() as session:
            row = (await session.execute(statement)).one()
        return int(row[0]), int(row[1])

    try:
        yield from_database
    finally:
        await database.dispose()


async def run_mode(
    mode: str, args: argparse.Namespace, api_url: str, database_url: str | None
) -> Run:
    """One timed run of every client against a fresh limit."""
    name = f"bench-{uuid4().hex[:8]}"
    run = Run(mode, args.clients, args.limit, args.seconds, args.hold_ms)
    errors: Counter[str] = Counter()
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
    connector = aiohttp.TCPConnector(limit=args.clients + 8)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        created = await http.post(
            f"{api_url}/v2/concurrency_limits/", json={"name": name, "limit": args.limit}
        )
        assert created.status == 201, await created.text()
        deadline = time.monotonic() + args.seconds
        holders = 0

        async def client() -> None:
            nonlocal holders
            body = {"names": [name], "slots": 1, "mode": "concurrency",
                    "lease_duration": args.lease_seconds}  # fmt: skip
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    async with http.post(
                        f"{api_url}/v2/concurrency_limits/increment-with-lease", json=body
                    ) as response:
                        answer = await response.json(content_type=None)
                        status, retry_after = response.status, response.headers.get("Retry-After")
                except (aiohttp.ClientError, TimeoutError) as error:
                    errors[type(error).__name__] += 1
                    continue
                if status == 423:
                    run.refusals += 1
                    if mode == "honour" and retry_after:
                        await asyncio.sleep(min(float(retry_after), deadline - time.monotonic()))
                    continue
                if status != 200:
                    errors[str(status)] += 1
                    continue
                run.acquisitions += 1
                run.acquire_ms.append((time.perf_counter() - started) * 1000)
                holders += 1
                run.most_client_holders = max(run.most_client_holders, holders)
                if args.hold_ms:
                    await asyncio.sleep(args.hold_ms / 1000)  # the work the slot is held for
                holders -= 1
                async with http.post(
                    f"{api_url}/v2/concurrency_limits/decrement-with-lease",
                    json={"lease_id": answer["lease_id"]},
                ) as released:
                    if released.status != 204:
                        errors[f"release {released.status}"] += 1

        async with records_reader(http, api_url, database_url, name) as read_records:

            async def sample() -> None:
                while time.monotonic() < deadline:
                    active, leases = await read_records()
                    run.samples += 1
                    run.most_active_slots = max(run.most_active_slots, active)
                    run.most_leases = max(run.most_leases, leases or 0)

            await asyncio.gather(sample(), *(client() for _ in range(args.clients)))
            run.leftover_active_slots, _ = await read_records()
    run.errors = dict(errors)
    return run


async def run_modes(
    modes: list[str], args: argparse.Namespace, api_url: str, database_url: str | None
) -> None:
    for mode in modes:
        run = await run_mode(mode, args, api_url, database_url)
        summary = run.summary()
        print("RESULT " + json.dumps(summary), flush=True)
        if args.json_out:
            with open(args.json_out, "a") as out:
                out.write(json.dumps(summary) + "\n")
        assert run.most_active_slots <= args.limit and run.most_leases <= args.limit, (
            f"more holders than the limit: {summary}"
        )


def main() -> None:
    args = parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    if args.api_url:
        asyncio.run(run_modes(modes, args, args.api_url.rstrip("/"), args.database_url))
        return
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sbx-bench-")))
        database_url = None
        if args.postgres:
            database_url = stack.enter_context(throwaway_postgres(args.postgres)).url
        server = stack.enter_context(signalbox_server(workdir, database_url))
        records = signalbox_database_url(workdir, database_url)
        asyncio.run(run_modes(modes, args, server.api_url, records))


if __name__ == "__main__":
    main()
