#!/usr/bin/env python3
"""Benchmark: 100 automations evaluated against task-run and flow-run events.

    python bench/bench_automations.py [--targets signalbox,prefect]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--rate 2000] [--seconds 30] [--clients 4] [--probe-rate 1]
        [--drain-timeout 120] [--logs DIR] [--out bench/results/automations-<stamp>.jsonl]

For each target in turn (bench/targets.py: Signalbox by `signalbox server start` in a fresh
home, on SQLite or on a throwaway database of --database-url; the reference Prefect 3.9.1
server, its triggers and actions services on as `prefect server start` runs them, on its own
SQLite) it starts a receiver on 127.0.0.1, makes a `webhook` and a `custom-webhook` block
pointing at it, and creates the 100 automations of bench/automation_load.py through
`POST /api/automations/`. A warm-up probe and sentinel, not measured, wait until the
server evaluates them, then the server's CPU is read for 5 s with no load (its idle
CPU). Then, for --seconds:

- --clients websocket clients on `/api/events/in` (as bench_events.py: the `prefect`
  subprotocol, the auth frame, a ping every 700 events) send the load's flow runs and task
  runs, --rate events a second between them, and each ends with a sentinel event;
- one more client sends --probe-rate Failed events a second of flow runs of `bench-alerting`
  (real runs created beforehand), each firing the five probe automations.

Measured: **event → action started**, from each probe's `occurred` (stamped as it is sent)
to the arrival at the receiver of each of its five actions' requests (three call-webhook,
two send-notification), p50/p95/p99/max; probes' actions missing or arriving twice; **events
evaluated per second**, every event sent over the time from the first until the last
sentinel's action arrived (each client's sentinel follows all its events on its socket);
and **CPU per event**, the server's process tree's CPU seconds over that time per event sent
(on PostgreSQL, PostgreSQL's CPU beside it), also less the idle CPU; on Prefect, the
messages its full in-memory queues dropped (counted in its log). One RESULT line of JSON
per target, appended to --out. Bounded: --seconds of load, --drain-timeout to wait for the
actions after it; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import aiohttp

# Run as `python bench/bench_automations.py`: the repository root holds bench/, tests/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import process_usage
from bench.automation_clients import (
    PROBE_NUMBERS,
    WARM_UP_SECONDS,
    Plan,
    Receiver,
    Sent,
    load_client,
    probe_client,
    wait_for,
    warm_up,
)
from bench.automation_load import (
    ALERTING_FLOW,
    ALERTING_TAG,
    LOAD_FLOW,
    SENTINEL_NUMBER,
    Receivers,
    all_automations,
)
from bench.bench_api import lat_summary
from bench.bench_events import create_flow_runs, post_json
from bench.targets import (
    CpuWatch,
    client_session,
    parse_target_args,
    run_on_targets,
    say,
    start_target,
    target_parser,
)

#: Real flow runs of `bench-alerting` the probes take turns failing.
PROBE_FLOW_RUNS: Final = 20
#: Seconds to keep listening once everything expected came, for requests arriving twice.
SETTLE_SECONDS: Final = 3.0
#: Seconds the server's CPU is watched unloaded before the measurement.
IDLE_SECONDS: Final = 5.0
#: What Prefect's server logs for each message its full in-memory queue drops.
DROPPED: Final = "Subscription queue is full, dropping message"


async def block_document(http: aiohttp.ClientSession, base: str, slug: str, data: Any) -> str:
    """A block document of the block type `slug` (its latest schema) holding `data`."""
    async with http.get(f"{base}/block_types/slug/{slug}") as answer:
        answer.raise_for_status()
        block_type = await answer.json()
    schemas = {"block_schemas": {"block_type_id": {"any_": [block_type["id"]]}}, "limit": 1}
    [schema, *_] = await post_json(http, f"{base}/block_schemas/filter", schemas)
    body = {
        "name": f"bench-{slug}-{uuid4().hex[:8]}",
        "data": data,
        "block_schema_id": schema["id"],
        "block_type_id": block_type["id"],
    }
    return str((await post_json(http, f"{base}/block_documents/", body))["id"])


async def set_up_receivers(http: aiohttp.ClientSession, base: str, url: str) -> Receivers:
    webhook = {"url": f"{url}/webhook", "method": "POST", "headers": {}}
    notification = {
        "name": "bench",
        "url": f"{url}/notification",
        "method": "POST",
        "json_data": {"text": "{{body}}", "title": "{{subject}}"},
    }
    return Receivers(
        await block_document(http, base, "webhook", webhook),
        await block_document(http, base, "custom-webhook", notification),
    )


async def create_runs(
    http: aiohttp.ClientSession, base: str, flow_id: str, count: int, tags: list[str]
) -> list[str]:
    body = {"flow_id": flow_id, "state": {"type": "RUNNING", "name": "Running"}, "tags": tags}
    return [str((await post_json(http, f"{base}/flow_runs/", body))["id"]) for _ in range(count)]


async def prepare(
    http: aiohttp.ClientSession, base: str, receiver: Receiver, args: argparse.Namespace
) -> Plan:
    """Blocks, flows, runs and the 100 automations (not measured)."""
    receivers = await set_up_receivers(http, base, receiver.url)
    flows = [
        await post_json(http, f"{base}/flows/", {"name": name})
        for name in (ALERTING_FLOW, LOAD_FLOW)
    ]
    probe_runs = await create_runs(http, base, flows[0]["id"], PROBE_FLOW_RUNS, [ALERTING_TAG])
    client_runs = await create_flow_runs(http, base, args.clients)
    for body in all_automations(receivers):
        await post_json(http, f"{base}/automations/", body)
    return Plan(str(flows[0]["id"]), str(flows[1]["id"]), probe_runs, client_runs)


def measured(receiver: Receiver, sent: Sent, started_epoch: float) -> dict[str, Any]:
    """Latency, losses and doubles of the probes' actions; when the sentinels came back."""
    latencies, missing, doubled = [], 0, 0
    for event_id, sent_at in sent.probes.items():
        for number in PROBE_NUMBERS:
            times = receiver.arrivals.get((event_id, number), [])
            if not times:
                missing += 1
                continue
            doubled += len(times) - 1
            latencies.append(min(times) - sent_at)
    sentinels = [receiver.first(event_id, SENTINEL_NUMBER) for event_id in sent.sentinels]
    last = max(sentinels) if sentinels and None not in sentinels else None  # type: ignore[type-var]
    events = sent.load.sent + sent.probe_tally.sent
    evaluated_s = (last - started_epoch) if last is not None else None
    return {
        "event_to_action": lat_summary(latencies),
        "probes": len(sent.probes),
        "probe_actions_expected": len(sent.probes) * len(PROBE_NUMBERS),
        "probe_actions_missing": missing,
        "probe_actions_doubled": doubled,
        "sentinels_back": sum(s is not None for s in sentinels),
        "sentinel_latency": lat_summary(
            [s - sent.sentinels[e] for e, s in zip(sent.sentinels, sentinels, strict=True) if s]
        ),
        "events_sent": events,
        "evaluated_seconds": round(evaluated_s, 2) if evaluated_s else None,
        "events_evaluated_per_second": round(events / evaluated_s, 1) if evaluated_s else None,
        "unreadable_requests": receiver.unreadable,
    }


async def measure(
    api_url: str, started_target: Any, target: str, args: argparse.Namespace
) -> dict[str, Any]:
    receiver = Receiver()
    runner = await receiver.start()
    base = api_url.rstrip("/")
    url = base.replace("http://", "ws://", 1) + "/events/in"
    try:
        async with client_session(args.clients + 8) as http:
            say(f"Creating the blocks, runs and 100 automations on {target}...")
            plan = await prepare(http, base, receiver, args)
            say("Warming up: one probe and one sentinel...")
            warm_up_s = await warm_up(http, url, plan, receiver, args.timeout)
            if warm_up_s is None:
                raise RuntimeError(f"{target} fired nothing within {WARM_UP_SECONDS} s")
            idle = CpuWatch(target, started_target)
            await asyncio.sleep(IDLE_SECONDS)  # the server's own background work, unloaded
            idle_percent = idle.read().percent["total"]
            say(f"Sending {args.rate}/s for {args.seconds} s...")
            sent = Sent()
            cpu = CpuWatch(target, started_target)
            started, started_epoch = time.monotonic(), time.time()
            deadline = started + args.seconds
            with process_usage.PeakMemory(started_target.server.pid) as memory:
                await asyncio.gather(
                    probe_client(http, url, plan, deadline, sent, args),
                    *(
                        load_client(http, url, plan, n, deadline, sent, args)
                        for n in range(args.clients)
                    ),
                )
                load_s = time.monotonic() - started

                def done() -> bool:
                    return all(receiver.first(e, SENTINEL_NUMBER) for e in sent.sentinels) and all(
                        receiver.first(e, n) for e in sent.probes for n in PROBE_NUMBERS
                    )

                drained = await wait_for(done, args.drain_timeout)
                used = cpu.read()
                await asyncio.sleep(SETTLE_SECONDS)  # requests that would arrive twice
    finally:
        await runner.cleanup()
    events = sent.load.sent + sent.probe_tally.sent
    result = measured(receiver, sent, started_epoch)
    return result | {
        "load_seconds": round(load_s, 2),
        "events_per_second_sent": round(events / load_s, 1),
        "drained": drained,
        "warm_up_seconds": warm_up_s,
        "checkpoint_latency": lat_summary(sent.load.checkpoints),
        "socket_errors": dict(sent.load.errors + sent.probe_tally.errors),
        "cpu_us_per_event": round(used.seconds / events * 1e6, 1) if events else None,
        # Less what the server spends idle over the same time: the events' own cost.
        "idle_cpu_percent": idle_percent,
        "cpu_us_per_event_above_idle": round(
            (used.seconds - idle_percent / 100 * used.elapsed) / events * 1e6, 1
        )
        if events
        else None,
        "peak_memory_mb": memory.by_role(),
        **used.summary_fields(),
    }


def measure_target(
    target: str, args: argparse.Namespace, workdir: Path, stack: ExitStack
) -> dict[str, Any]:
    started = start_target(target, args.database_url, workdir, stack)
    try:
        result = asyncio.run(measure(started.server.api_url, started, target, args))
    finally:
        if args.logs:  # the server's log outlives its temporary folder
            Path(args.logs).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(started.server.log_path, Path(args.logs) / f"{target}.log")
    if target == "prefect":
        # Its in-memory queues hold 10,000 messages per subscriber and drop the rest.
        log = started.server.log_path.read_text(errors="replace")
        result["server_dropped_messages"] = log.count(DROPPED)
    return {
        "benchmark": "automations",
        "target": target,
        "database": started.database,
        "automations": 100,
        "rate": args.rate,
        "seconds": args.seconds,
        "clients": args.clients,
        "probe_rate": args.probe_rate,
    } | result


def parse_args() -> argparse.Namespace:
    parser = target_parser(__doc__, "automations")
    parser.add_argument("--rate", type=float, default=2000.0, help="load events a second")
    parser.add_argument("--seconds", type=float, default=30.0, help="of load")
    parser.add_argument("--clients", type=int, default=4, help="load websockets")
    parser.add_argument("--probe-rate", type=float, default=1.0, help="probe events a second")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for one pong")
    parser.add_argument(
        "--drain-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the actions after the load",
    )
    parser.add_argument("--logs", help="copy each server's log into this folder")
    return parse_target_args(parser)


if __name__ == "__main__":
    run_on_targets("automations", parse_args(), measure_target)
