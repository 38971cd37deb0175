"""The task-run-events scenario: C websocket clients each stream task-run state events.

    python bench/bench_events.py --base-url http://127.0.0.1:4200/api --concurrency 1,16,64 \
        --seconds 8 [--server-pid PID] [--check-readable] [--json-out results.jsonl]

Each client speaks to `/api/events/in` as the Prefect 3 client does (CLIENT-PROTOCOL.md §2):
subprotocol `prefect`, the auth frame, then one JSON text frame per event, a websocket ping
right after connecting and after every 700 events, each awaited until its pong arrives. A
pong is the server's only confirmation, so an event counts as accepted once the pong of the
ping after it has come back. Every task run gets Pending, Running and Completed, each event
following the one before; a client that reaches the deadline finishes its task run first,
so every task run sent is complete.

With --check-readable (Signalbox, Prefect) the client then polls POST /task_runs/count until
every task run it sent is COMPLETED, and reads the state history of a random sample of them,
and reports how long that took after the last pong. The ceiling probe discards events, so
it is run without the check.

Prints one line `RESULT {json}` per concurrency, as bench_api.py does. Bounded in time
(--seconds, --readable-timeout) and in events (--max-events); loopback targets only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import aiohttp

# Run as `python bench/bench_events.py`: the repository root holds tests/ and bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_api import ProcSampler, check_loopback, lat_summary
from tests.integration.events import task_run_event

#: Events the Prefect client sends between two pings (its checkpoint interval).
EVENTS_PER_PING: Final = 700
#: Histories read back after the counts match, to see Pending and Running stored too.
HISTORY_SAMPLE: Final = 20
#: Tries of a set-up request (not measured) that a busy server answers 503.
SETUP_ATTEMPTS: Final = 30
#: Seconds between two polls of the readability check.
POLL_SECONDS: Final = 0.05
#: The lifecycle of every task run: (state type, state name, milliseconds after Pending).
LIFECYCLE: Final = (
    ("PENDING", "Pending", 0),
    ("RUNNING", "Running", 1),
    ("COMPLETED", "Completed", 2),
)


def event_templates() -> list[str]:
    """The three events of a task run as %-format strings (a json.dumps per frame costs more
    client CPU than the server spends on it; these keep the load generator out of the way)."""
    slots = {
        "@event_id@": "%(event_id)s",
        "@occurred@": "%(occurred)s",
        "@task_run_id@": "%(task_run_id)s",
        "@flow_run_id@": "%(flow_run_id)s",
        "@dynamic_key@": "%(dynamic_key)s",
        "@follows@": "%(follows)s",
    }
    templates = []
    for state_type, state_name, _ in LIFECYCLE:
        follows = None if state_type == "PENDING" else "@follows@"
        event = task_run_event(
            "@task_run_id@", "@flow_run_id@", state_type, state_name, seconds=0, follows=follows
        )
        event["id"] = "@event_id@"
        event["occurred"] = event["resource"]["prefect.state-timestamp"] = "@occurred@"
        event["payload"]["task_run"]["dynamic_key"] = "@dynamic_key@"
        text = json.dumps(event).replace("%", "%%")
        for placeholder, slot in slots.items():
            text = text.replace(placeholder, slot)
        templates.append(text)
    return templates


TEMPLATES: Final = event_templates()


@dataclass
class Tally:
    """What the clients of one run did, shared between them (one event loop, no locks)."""

    max_events: int
    sent: int = 0
    confirmed: int = 0
    task_runs: int = 0
    checkpoints: list[float] = field(default_factory=list)  # ping -> pong, seconds
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.max_events


async def checkpoint(socket: aiohttp.ClientWebSocketResponse, tally: Tally, timeout: float) -> bool:
    """Ping and wait for the pong: the server's word that every event before it is taken."""
    started = time.perf_counter()
    payload = os.urandom(4)
    await socket.ping(payload)
    async with asyncio.timeout(timeout):
        while True:
            message = await socket.receive()
            if message.type is aiohttp.WSMsgType.PONG and message.data == payload:
                tally.checkpoints.append(time.perf_counter() - started)
                return True
            if message.type is aiohttp.WSMsgType.PING:  # the server's keepalive, as the
                await socket.pong(message.data)  # client's websockets library answers it
                continue
            if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                tally.errors[f"socket closed: {message.data} {message.extra}"[:120]] += 1
                return False
            if message.type is aiohttp.WSMsgType.ERROR:
                tally.errors[f"socket error: {message.data}"[:120]] += 1
                return False


async def stream_task_runs(
    session: aiohttp.ClientSession,
    url: str,
    flow_run_id: str,
    deadline: float,
    tally: Tally,
    timeout: float,
) -> None:
    """One client: connect, authenticate, stream lifecycles until the deadline, confirm."""
    try:
        async with session.ws_connect(
            url, protocols=("prefect",), autoping=False, heartbeat=None, compress=0
        ) as socket:
            await socket.send_str('{"type": "auth", "token": null}')
            answer = await socket.receive_json(timeout=timeout)
            if answer.get("type") != "auth_success":
                tally.errors[f"auth refused: {answer}"[:120]] += 1
                return
            if not await checkpoint(socket, tally, timeout):  # as the client does on connect
                return
            unconfirmed = 0
            number = 0
            while time.monotonic() < deadline and not tally.exhausted:
                task_run_id, follows = str(uuid4()), ""
                start = datetime.now(UTC)
                for template, (_, _, offset_ms) in zip(TEMPLATES, LIFECYCLE, strict=True):
                    event_id = str(uuid4())
                    occurred = (start + timedelta(milliseconds=offset_ms)).isoformat()
                    await socket.send_str(
                        template
                        % {
                            "event_id": event_id,
                            "occurred": occurred,
                            "task_run_id": task_run_id,
                            "flow_run_id": flow_run_id,
                            "dynamic_key": number,
                            "follows": follows,
                        }
                    )
                    follows = event_id
                    unconfirmed += 1
                    tally.sent += 1
                    if unconfirmed >= EVENTS_PER_PING:
                        if not await checkpoint(socket, tally, timeout):
                            return
                        tally.confirmed += unconfirmed
                        unconfirmed = 0
                number += 1
                tally.task_runs += 1
            if unconfirmed and await checkpoint(socket, tally, timeout):
                tally.confirmed += unconfirmed
    except TimeoutError:
        tally.errors["no pong within the timeout"] += 1
    except (aiohttp.ClientError, ConnectionError) as error:
        tally.errors[f"{type(error).__name__}: {error}"[:120]] += 1


async def post_json(
    session: aiohttp.ClientSession, url: str, body: Any, attempts: int = SETUP_ATTEMPTS
) -> Any:
    """POST outside the measurement; a busy server's 503 is retried, as Prefect's client does."""
    for attempt in range(attempts):
        async with session.post(url, json=body) as response:
            text = await response.text()
            if response.status < 400:
                return json.loads(text) if text else None
            if response.status != 503 or attempt == attempts - 1:
                raise RuntimeError(f"POST {url} answered {response.status}: {text[:200]}")
        await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
    raise AssertionError("unreachable: the last attempt returns or raises")


async def create_flow_runs(session: aiohttp.ClientSession, base: str, count: int) -> list[str]:
    """One real flow run per client (not timed), so servers with foreign keys accept the events."""
    flow = await post_json(session, f"{base}/flows/", {"name": f"bench-events-{uuid4().hex[:8]}"})
    runs = []
    for _ in range(count):
        body = {"flow_id": flow["id"], "state": {"type": "RUNNING", "name": "Running"}}
        runs.append((await post_json(session, f"{base}/flow_runs/", body))["id"])
    return runs


async def wait_until_readable(
    session: aiohttp.ClientSession,
    base: str,
    flow_run_ids: list[str],
    task_runs: int,
    timeout: float,
) -> dict[str, Any]:
    """Poll until every task run sent is COMPLETED and a sample of histories holds 3 states."""
    started = time.monotonic()
    deadline = started + timeout
    body = {
        "task_runs": {
            "flow_run_id": {"any_": flow_run_ids},
            "state": {"type": {"any_": ["COMPLETED"]}},
        }
    }
    completed = -1
    while time.monotonic() < deadline:
        completed = await post_json(session, f"{base}/task_runs/count", body)
        if completed >= task_runs:
            break
        await asyncio.sleep(POLL_SECONDS)
    else:
        return {"seconds": None, "task_runs": task_runs, "completed": completed, "timed_out": True}
    counted_s = time.monotonic() - started
    listing = {"task_runs": {"flow_run_id": {"any_": flow_run_ids}}, "limit": 200}
    sample = await post_json(session, f"{base}/task_runs/filter", listing)
    sample = random.sample(sample, min(HISTORY_SAMPLE, len(sample)))
    for task_run in sample:
        while time.monotonic() < deadline:
            url = f"{base}/task_run_states/?task_run_id={task_run['id']}"
            async with session.get(url) as response:
                states = await response.json()
            if len(states) >= len(LIFECYCLE):
                break
            await asyncio.sleep(POLL_SECONDS)
        else:
            return {"seconds": None, "task_runs": task_runs, "completed": completed,
                    "timed_out": True, "history_incomplete": task_run["id"]}  # fmt: skip
    return {
        "seconds": round(time.monotonic() - started, 3),
        "completed_count_seconds": round(counted_s, 3),
        "task_runs": task_runs,
        "completed": completed,
        "histories_checked": len(sample),
        "timed_out": False,
    }


async def run_one(args: argparse.Namespace, concurrency: int) -> dict[str, Any]:
    """One measured run at `concurrency` clients; the result in bench_api.py's shape."""
    base = args.base_url.rstrip("/")
    socket_url = base.replace("http://", "ws://", 1) + "/events/in"
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=concurrency + 4)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        flow_run_ids = await create_flow_runs(session, base, concurrency)
        tally = Tally(max_events=args.max_events)
        sampler = ProcSampler(args.server_pid)
        usage_before = resource.getrusage(resource.RUSAGE_SELF)
        sampler.start()
        started = time.monotonic()
        deadline = started + args.seconds
        await asyncio.gather(
            *(
                stream_task_runs(session, socket_url, run_id, deadline, tally, args.timeout)
                for run_id in flow_run_ids
            )
        )
        elapsed = time.monotonic() - started
        await sampler.stop()
        usage_after = resource.getrusage(resource.RUSAGE_SELF)
        readable = None
        if args.check_readable:
            readable = await wait_until_readable(
                session, base, flow_run_ids, tally.task_runs, args.readable_timeout
            )
    client_cpu = (
        usage_after.ru_utime + usage_after.ru_stime - usage_before.ru_utime - usage_before.ru_stime
    )
    return {
        "scenario": "events",
        "concurrency": concurrency,
        "seconds": args.seconds,
        "elapsed_s": round(elapsed, 2),
        "throughput": round(tally.confirmed / elapsed, 1),
        "unit": "events/s",
        "requests": tally.sent,
        "requests_per_s": round(tally.sent / elapsed, 1),
        "latency": lat_summary(tally.checkpoints),  # ping -> pong of each 700-event checkpoint
        "per_endpoint": {"ws /events/in ping->pong": lat_summary(tally.checkpoints)},
        "counts": {
            "events_sent": tally.sent,
            "events_confirmed": tally.confirmed,
            "task_runs": tally.task_runs,
        },
        "errors": sum(tally.errors.values()),
        "error_kinds": dict(tally.errors.most_common(10)),
        "unconfirmed_events": tally.sent - tally.confirmed,
        "server": sampler.summary(),
        "client_cpu_pct": round(client_cpu / elapsed * 100, 1),
        "host_cpu_busy_pct": sampler.host_busy_pct(),
        "host_cores": os.cpu_count(),
        "base_url": args.base_url,
        "label": args.label,
        "readable": readable,
    }


async def main_async(args: argparse.Namespace) -> None:
    for concurrency in args.concurrency:
        result = await run_one(args, concurrency)
        line = json.dumps(result, separators=(",", ":"))
        print("RESULT " + line, flush=True)
        if args.json_out:
            with open(args.json_out, "a") as output:
                output.write(line + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:4200/api")
    parser.add_argument("--concurrency", default="1", help="comma list, e.g. 1,16,64")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--max-events", type=int, default=5_000_000, help="cap per run")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for one pong")
    parser.add_argument("--check-readable", action="store_true")
    parser.add_argument("--readable-timeout", type=float, default=120)
    parser.add_argument("--server-pid", default="", help="comma list; descendants included")
    parser.add_argument("--json-out", default="")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c.strip()]
    args.server_pid = [int(p) for p in args.server_pid.split(",") if p.strip()]
    check_loopback(args.base_url)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
