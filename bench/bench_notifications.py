#!/usr/bin/env python3
"""Benchmark: notification deliveries per second across all nine channels, and the time from
a flow-run state change to its first delivery attempt.

Starts `signalbox server start --notify-pools separate` (one worker process per channel, as
the Procfile runs them) on 127.0.0.1 with a fresh home, its channels' base URLs pointing at
a stand-in of the nine services served by this process on 127.0.0.1, and one notification
policy on Failed per channel. Then:

- latency: `--runs` flow runs fail through the API, `--rate` a second; each sets off nine
  deliveries. Measured per delivery, from the Failed state's timestamp to its first attempt's
  record (written once the stand-in answered, so the request is included): p50, p99, max.
- throughput: `--deliveries` pending deliveries per channel are written straight to the
  database and their messages queued at once; measured from the first message queued to
  the last delivery recorded as delivered. Every service stand-in must have been called
  exactly once per delivery.

Bounded (fixed counts, a deadline per phase) and loopback only.

    python bench/bench_notifications.py
    python bench/bench_notifications.py --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import aiohttp
from aiohttp import web

# Run as `python bench/bench_notifications.py`: the repository root holds models/ and bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import process_usage
from bench.servers import start_process, throwaway_postgres, wait_until_answering
from tests.compat.prefect_client import free_port

#: Seconds a phase may take before the benchmark gives up on it.
PHASE_DEADLINE_SECONDS: Final = 300.0
#: Each channel's block type, the block data pointing at the stand-in, and its request path.
CHANNELS: Final = {
    "slack": ("slack-webhook", lambda base, port: {"url": f"{base}/services/T/B/BENCH"}),
    "discord": ("discord-webhook", lambda base, port: {"webhook_id": "1", "webhook_token": "t"}),
    "teams": ("ms-teams-webhook", lambda base, port: {"url": f"{base}/workflows/1?sig=s"}),
    "mattermost": (
        "mattermost-webhook",
        lambda base, port: {"hostname": "127.0.0.1", "port": port, "token": "k"},
    ),
    "opsgenie": ("opsgenie-webhook", lambda base, port: {"apikey": "k"}),
    "pagerduty": (
        "pager-duty-webhook",
        lambda base, port: {"integration_key": "k", "api_key": "a"},
    ),
    "sendgrid": (
        "sendgrid-email",
        lambda base, port: {"api_key": "k", "sender_email": "a@b.c", "to_emails": ["d@e.f"]},
    ),
    "twilio": (
        "twilio-sms",
        lambda base, port: {
            "account_sid": "AC1",
            "auth_token": "t",
            "from_phone_number": "+1",
            "to_phone_numbers": ["+2"],
        },
    ),
    "webhook": ("custom-webhook", lambda base, port: {"name": "bench", "url": f"{base}/custom"}),
}
#: What each service answers on success, by the start of its path.
SUCCESS: Final = {
    "/services/": (200, "ok"),
    "/api/webhooks/": (200, '{"id": "1"}'),
    "/workflows/": (202, ""),
    "/hooks/": (200, "ok"),
    "/v2/alerts": (202, '{"requestId": "r"}'),
    "/v2/enqueue": (202, '{"status": "success"}'),
    "/v3/mail/send": (202, ""),
    "/2010-04-01/": (201, '{"sid": "SM1"}'),
    "/custom": (200, ""),
}


class Services:
    """The nine services' stand-in: answers each request at once with the service's success."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return runner

    async def handle(self, request: web.Request) -> web.Response:
        await request.read()
        self.requests += 1
        for prefix, (status, text) in SUCCESS.items():
            if request.path.startswith(prefix):
                return web.Response(status=status, text=text)
        return web.Response(status=404)


async def api(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    async with http.request(method, url, json=body) as answer:
        if answer.status >= 300:
            raise RuntimeError(f"{method} {url}: {answer.status} {await answer.text()}")
        return None if answer.status == 204 else await answer.json()


async def set_up_policies(http: aiohttp.ClientSession, base: str, services: Services) -> None:
    """One block document and one policy on Failed per channel."""
    stand_in = f"http://127.0.0.1:{services.port}"
    for channel, (slug, data) in CHANNELS.items():
        block_type = await api(http, "GET", f"{base}/block_types/slug/{slug}")
        schemas = {"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}}
        # Some block types have a schema per version: any of them takes the bench's data.
        schema = (await api(http, "POST", f"{base}/block_schemas/filter", schemas))[0]
        document = await api(
            http,
            "POST",
            f"{base}/block_documents/",
            {
                "name": f"bench-{channel}",
                "data": data(stand_in, services.port),
                "block_schema_id": schema["id"],
                "block_type_id": block_type["id"],
            },
        )
        await api(
            http,
            "POST",
            f"{base}/flow_run_notification_policies/",
            {"state_names": ["Failed"], "tags": [], "block_document_id": document["id"]},
        )


async def fail_one_flow_run(http: aiohttp.ClientSession, base: str, flow_id: str) -> None:
    run = await api(
        http, "POST", f"{base}/flow_runs/", {"flow_id": flow_id, "state": {"type": "PENDING"}}
    )
    for state in ("RUNNING", "FAILED"):
        await api(
            http, "POST", f"{base}/flow_runs/{run['id']}/set_state", {"state": {"type": state}}
        )


async def wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + PHASE_DEADLINE_SECONDS
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"gave up waiting for {what}")
        await asyncio.sleep(0.05)  # polling interval, bounded by the deadline


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure_latency(
    http: aiohttp.ClientSession, base: str, services: Services, database: Any, args: Any
) -> dict[str, Any]:
    """Fail `runs` flow runs at `rate`/s; from each Failed state to each request received."""
    from sqlalchemy import func, select

    from models.notifications.deliveries import Delivery, DeliveryAttempt
    from models.runs.flow_runs import FlowRunState

    flow = await api(http, "POST", f"{base}/flows/", {"name": "bench-notifications"})
    started = time.monotonic()
    pending = []
    for n in range(args.runs):
        await asyncio.sleep(max(0.0, started + n / args.rate - time.monotonic()))  # pacing
        pending.append(asyncio.create_task(fail_one_flow_run(http, base, flow["id"])))
    await asyncio.gather(*pending)
    expected = args.runs * len(CHANNELS)

    async def all_arrived() -> bool:
        async with database.read_sessions() as session:
            done = await session.scalar(
                select(func.count(Delivery.id)).where(Delivery.status == "delivered")
            )
        return (done or 0) >= expected

    await wait_for(all_arrived, f"{expected} deliveries")
    first_attempt = (
        select(DeliveryAttempt.delivery_id, func.min(DeliveryAttempt.created).label("at"))
        .group_by(DeliveryAttempt.delivery_id)
        .subquery()
    )
    async with database.read_sessions() as session:
        rows = (
            await session.execute(
                select(first_attempt.c.at, FlowRunState.timestamp, Delivery.created)
                .join(Delivery, Delivery.id == first_attempt.c.delivery_id)
                .join(FlowRunState, FlowRunState.id == Delivery.flow_run_state_id)
            )
        ).all()
    # The attempt row is written once the answer is in: this includes the request itself.
    latencies = [(row.at - row.timestamp).total_seconds() * 1000 for row in rows]
    # Split at the delivery's creation: before it, the state's way to the state worker and
    # the evaluation; after it, the channel queue, the claim, the request and the record.
    evaluated = [(row.created - row.timestamp).total_seconds() * 1000 for row in rows]
    attempted = [(row.at - row.created).total_seconds() * 1000 for row in rows]
    return {
        "flow_runs_failed": args.runs,
        "failed_runs_per_second": args.rate,
        "deliveries": len(latencies),
        "state_to_first_attempt_p50_ms": round(statistics.median(latencies), 1),
        "state_to_first_attempt_p99_ms": round(percentile(latencies, 0.99), 1),
        "state_to_first_attempt_max_ms": round(max(latencies), 1),
        "state_to_delivery_created_p50_p99_ms": [
            round(statistics.median(evaluated), 1),
            round(percentile(evaluated, 0.99), 1),
        ],
        "delivery_created_to_first_attempt_p50_p99_ms": [
            round(statistics.median(attempted), 1),
            round(percentile(attempted, 0.99), 1),
        ],
    }


def cpu_ms_by_role(
    before: process_usage.UsageSnapshot, after: process_usage.UsageSnapshot, count: int
) -> dict[str, float]:
    """CPU milliseconds each role of the server spent per delivery between two snapshots."""
    used: dict[str, float] = {}
    for pid, seconds in after.seconds.items():
        role = after.roles.get(pid) or before.roles.get(pid, "?")
        used[role] = used.get(role, 0.0) + seconds - before.seconds.get(pid, 0.0)
    ranked = sorted(used.items(), key=lambda item: -item[1])
    return {role: round(seconds * 1000 / count, 2) for role, seconds in ranked if seconds > 0}


def redis_calls(redis_url: str) -> dict[str, int]:
    """Commands Redis has run, by command (`INFO commandstats`)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        stats = client.info("commandstats")
    finally:
        client.close()
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


#: An idle PostgreSQL backend reports its statistics within 10 s (PGSTAT_IDLE_INTERVAL).
STATISTICS_LAG_SECONDS: Final = 11.0


async def database_counters(database: Any) -> dict[str, int]:
    """PostgreSQL's commits and rollbacks in this database, and the rows each notification
    table gained, changed and lost; empty on SQLite."""
    from sqlalchemy import text

    if database.engine.dialect.name != "postgresql":
        return {}
    async with database.read_sessions() as session:
        [commits, rollbacks] = (
            await session.execute(
                text(
                    "SELECT xact_commit, xact_rollback FROM pg_stat_database"
                    " WHERE datname = current_database()"
                )
            )
        ).one()
        tables = await session.execute(
            text(
                "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
                " WHERE relname LIKE 'notification_%'"
            )
        )
        counters = {"commits": commits, "rollbacks": rollbacks}
        for name, inserted, updated, deleted in tables:
            table = name.removeprefix("notification_")
            counters |= {
                f"{table}_inserted": inserted,
                f"{table}_updated": updated,
                f"{table}_deleted": deleted,
            }
    return counters


def per_delivery(before: dict[str, int], after: dict[str, int], count: int) -> dict[str, float]:
    """What each counter grew by, per delivery (the ones that grew by at least 0.01)."""
    grown = {name: (after[name] - before.get(name, 0)) / count for name in after}
    return {name: round(value, 2) for name, value in grown.items() if value >= 0.01}


def tree_cpu_seconds(root: int | None) -> dict[int, float]:
    """CPU seconds of a process and each below it (a database server and its backends)."""
    if root is None:
        return {}
    return process_usage.snapshot(root).seconds


def cpu_seconds_used(before: dict[int, float], after: dict[int, float]) -> float:
    """What the processes alive at the end used in between; one that exited meanwhile (a
    backend of another client) is left out rather than counted negative."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


async def measure_throughput(
    services: Services,
    database: Any,
    args: Any,
    server_pid: int,
    database_pid: int | None,
    redis_url: str,
) -> dict[str, Any]:
    """Write `deliveries` pending deliveries per channel, queue them all, time them out."""
    from sqlalchemy import func, select

    from actors.channels.registry import CHANNELS as REGISTERED_CHANNELS
    from models.blocks.tables import BlockDocument
    from models.db.dialect import insert_ignoring_duplicates
    from models.db.types import utcnow
    from models.notifications.channels import ChannelName
    from models.notifications.deliveries import Delivery

    async with database.sessions.begin() as session:
        blocks = {
            row.name.removeprefix("bench-"): row.id
            for row in await session.scalars(select(BlockDocument))
        }
        rows = []
        for channel in CHANNELS:
            for n in range(args.deliveries):
                now = utcnow()
                rows.append(
                    {
                        "id": uuid4(),
                        "created": now,
                        "updated": now,
                        "channel": channel,
                        "block_document_id": blocks[channel],
                        "status": "pending",
                        "subject": f"Bench {n}",
                        "body": "Flow run bench entered Failed.",
                        "attempt_count": 0,
                        "details": {"flow_run_url": "http://signalbox.test"},
                    }
                )
        await insert_ignoring_duplicates(session, Delivery, rows)
    expected = len(rows)
    before = services.requests

    def queue_all() -> None:
        for row in rows:
            REGISTERED_CHANNELS[ChannelName(row["channel"])].actor.send(str(row["id"]))

    ids = [row["id"] for row in rows]

    async def delivered() -> int:
        async with database.read_sessions() as session:
            return int(
                await session.scalar(
                    select(func.count(Delivery.id)).where(
                        Delivery.id.in_(ids), Delivery.status == "delivered"
                    )
                )
                or 0
            )

    # Counted, not timed: these do not depend on how busy the machine is.
    if database.engine.dialect.name == "postgresql":
        await asyncio.sleep(STATISTICS_LAG_SECONDS)  # the latency phase's and the insert's
    redis_before = redis_calls(redis_url)
    counters_before = await database_counters(database)
    usage_before = process_usage.snapshot(server_pid)
    database_cpu_before = tree_cpu_seconds(database_pid)
    own_cpu_before = time.process_time()
    started = time.monotonic()
    sending = asyncio.create_task(asyncio.to_thread(queue_all))

    async def all_delivered() -> bool:
        # The stand-in's own count first: polling the database with thousands of ids would
        # take CPU from the server being measured.
        if services.requests - before < expected:
            return False
        return await delivered() >= expected

    await wait_for(all_delivered, f"{expected} deliveries")
    elapsed = time.monotonic() - started
    usage_after = process_usage.snapshot(server_pid)
    database_cpu = cpu_seconds_used(database_cpu_before, tree_cpu_seconds(database_pid))
    own_cpu = time.process_time() - own_cpu_before
    await sending
    redis_after = redis_calls(redis_url)
    if counters_before:
        await asyncio.sleep(STATISTICS_LAG_SECONDS)
    counters_after = await database_counters(database)
    requests = services.requests - before
    server_cpu_ms = cpu_ms_by_role(usage_before, usage_after, expected)
    return {
        "deliveries": expected,
        "channels": len(CHANNELS),
        "seconds": round(elapsed, 2),
        "deliveries_per_second": round(expected / elapsed, 1),
        "requests_received": requests,
        "exactly_once": requests == expected,
        # CPU per delivery: the server's processes, and this process (stand-in and queueing).
        "server_cpu_ms_per_delivery": round(sum(server_cpu_ms.values()), 2),
        "server_cpu_ms_per_delivery_by_role": server_cpu_ms,
        "server_cpu_percent_by_role": process_usage.cpu_percent_by_role(usage_before, usage_after),
        "bench_process_cpu_ms_per_delivery": round(own_cpu * 1000 / expected, 2),
        # Including the benchmark's own: one enqueue per delivery and its polling reads.
        "redis_commands_per_delivery": per_delivery(redis_before, redis_after, expected),
        "database_counters_per_delivery": per_delivery(counters_before, counters_after, expected),
        # The whole PostgreSQL server, so anything else it serves meanwhile counts too.
        "database_server_cpu_ms_per_delivery": (
            round(database_cpu * 1000 / expected, 2) if database_pid else None
        ),
    }


async def measure_ceiling(services: Services, count: int, concurrency: int) -> dict[str, Any]:
    """What the machine does with no Signalbox at all: requests/s from one aiohttp client to
    the stand-in, `concurrency` at a time (the most any delivery rate could reach here)."""
    url = f"http://127.0.0.1:{services.port}/custom"
    left = count

    async def client(http: aiohttp.ClientSession) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            async with http.post(url, data=b"{}") as answer:
                await answer.read()

    started = time.monotonic()
    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    elapsed = time.monotonic() - started
    return {"requests": count, "requests_per_second": round(count / elapsed, 1)}


async def run(
    args: Any, workdir: Path, database_url: str | None, database_pid: int | None = None
) -> dict[str, Any]:
    services = Services()
    runner = await services.start()
    ceiling = await measure_ceiling(services, count=5000, concurrency=len(CHANNELS) * 2)
    port = free_port()
    home = workdir / "home"
    stand_in = f"http://127.0.0.1:{services.port}"
    environ = {
        name: value for name, value in os.environ.items() if not name.startswith("SIGNALBOX_")
    }
    environ |= {
        "SIGNALBOX_HOME": str(home),
        "SIGNALBOX_API_PORT": str(port),
        **{
            f"SIGNALBOX_{name}_BASE_URL": stand_in
            for name in ("DISCORD", "OPSGENIE", "PAGERDUTY", "SENDGRID", "TWILIO")
        },
    }
    if database_url:
        environ["SIGNALBOX_DATABASE_URL"] = database_url
    log_path = workdir / "signalbox.log"
    command = [
        sys.executable,
        "-m",
        "cli",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--notify-pools",
        args.notify_pools,
    ]
    base = f"http://127.0.0.1:{port}/api"
    try:
        with start_process(command, log_path, environ) as process:
            await asyncio.to_thread(wait_until_answering, f"{base}/ready", process, log_path)
            # The embedded Redis's URL, with its password, from the server's file.
            redis_url = (home / "redis.url").read_text().strip()
            # This process queues messages and reads the database like a worker would.
            os.environ.update({"SIGNALBOX_REDIS_URL": redis_url, "SIGNALBOX_HOME": str(home)})
            from models.db.database import open_database
            from models.settings import Settings

            database = open_database(
                Settings(
                    home=home,
                    database_url=database_url or f"sqlite+aiosqlite:///{home / 'signalbox.db'}",
                )
            )
            try:
                async with aiohttp.ClientSession() as http:
                    await set_up_policies(http, base, services)
                    latency = await measure_latency(http, base, services, database, args)
                throughput = await measure_throughput(
                    services, database, args, process.pid, database_pid, redis_url
                )
            finally:
                await database.dispose()
    finally:
        await runner.cleanup()
    return {"ceiling": ceiling, "latency": latency, "throughput": throughput}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="flow runs failed (latency)")
    parser.add_argument("--rate", type=float, default=3.0, help="flow runs failed per second")
    parser.add_argument("--deliveries", type=int, default=500, help="per channel (throughput)")
    parser.add_argument(
        "--notify-pools",
        choices=["separate", "shared"],
        default="separate",
        help="one worker process per channel (Procfile), or one for all",
    )
    parser.add_argument("--postgres", help="a PostgreSQL server URL; a throwaway database is made")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-notifications-") as folder:
        if args.postgres:
            with throwaway_postgres(args.postgres) as database:
                results = asyncio.run(
                    run(args, Path(folder), database.url, database.postmaster_pid)
                )
        else:
            results = asyncio.run(run(args, Path(folder), None))
    results["database"] = "postgresql" if args.postgres else "sqlite"
    results["notify_pools"] = args.notify_pools
    # What an idle consumer sleeps at most: pools run in one process ignore the option.
    # Imported only now: importing `actors` earlier would bind its broker to the wrong Redis.
    from cli.pools import IDLE_POLL_MS, NOTIFICATION_PATH_POLL_MS

    results["idle_poll_ms"] = {
        "default": IDLE_POLL_MS,
        "notification path": NOTIFICATION_PATH_POLL_MS,
    }
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
