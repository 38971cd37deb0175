"""The clients of bench_automations.py: the receiver of the actions' requests, the paced
websocket clients that send the load, the probes and the sentinels, and the warm-up.

Every client speaks to `/api/events/in` as bench_events.py's do (the `prefect` subprotocol,
the auth frame, a ping on connecting and after every 700 events). Times are epoch seconds
(`time.time()`): an event's `occurred` and the arrival of its action's request are compared
on the same clock.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final
from uuid import uuid4

import aiohttp
from aiohttp import web

from bench.automation_load import (
    ALERTING_FLOW,
    ALERTING_TAG,
    SENTINEL_NUMBER,
    flow_run_event,
    load_events,
    sentinel_event,
    stamp,
)
from bench.bench_events import EVENTS_PER_PING, Tally, checkpoint

#: The probe automations' numbers (bench/automation_load.py), each one request per probe.
PROBE_NUMBERS: Final = frozenset(range(5))
#: Seconds the warm-up may take: the server loads its automations on its own schedule.
WARM_UP_SECONDS: Final = 120.0
#: Seconds between two sends of a paced client (each sends what fell due since).
TICK_SECONDS: Final = 0.01
#: What the receiver reads out of a request's body (bench/automation_load.py's MARKER).
MARKER_PATTERN: Final = re.compile(rb"event=([0-9a-f-]{36}) automation=(\d+)")


@dataclass
class Receiver:
    """The receiver on 127.0.0.1: when each (event, automation) request arrived (epoch s)."""

    arrivals: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    unreadable: int = 0
    url: str = ""

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return runner

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.time()
        found = MARKER_PATTERN.search(body)
        if found is None:
            self.unreadable += 1
        else:
            key = (found.group(1).decode(), int(found.group(2)))
            self.arrivals.setdefault(key, []).append(arrived)
        return web.Response(text="ok")

    def first(self, event_id: str, number: int) -> float | None:
        times = self.arrivals.get((event_id, number))
        return min(times) if times else None


@dataclass
class Sent:
    """What the clients sent: each probe's and sentinel's id and epoch seconds."""

    probes: dict[str, float] = field(default_factory=dict)
    sentinels: dict[str, float] = field(default_factory=dict)
    load: Tally = field(default_factory=lambda: Tally(max_events=10**9))
    probe_tally: Tally = field(default_factory=lambda: Tally(max_events=10**9))


@dataclass
class Plan:
    """What the measured run sends: flows and runs made before it."""

    alerting_flow_id: str
    load_flow_id: str
    probe_runs: list[str]
    client_runs: list[str]


def probe(plan: Plan, number: int, event_id: str, occurred: str) -> str:
    """A probe: a Failed event of one of the real runs of `bench-alerting`."""
    run = plan.probe_runs[number % len(plan.probe_runs)]
    return json.dumps(
        flow_run_event(
            run,
            plan.alerting_flow_id,
            ALERTING_FLOW,
            "FAILED",
            "Failed",
            [ALERTING_TAG],
            event_id,
            occurred,
        )
    )


async def open_socket(
    http: aiohttp.ClientSession, url: str, tally: Tally, timeout: float
) -> aiohttp.ClientWebSocketResponse | None:
    """A socket on /events/in, authenticated and checked as the Prefect client does."""
    socket = await http.ws_connect(
        url, protocols=("prefect",), autoping=False, heartbeat=None, compress=0
    )
    await socket.send_str('{"type": "auth", "token": null}')
    answer = await socket.receive_json(timeout=timeout)
    if answer.get("type") != "auth_success" or not await checkpoint(socket, tally, timeout):
        tally.errors[f"auth refused: {answer}"[:120]] += 1
        await socket.close()
        return None
    return socket


async def paced(
    socket: aiohttp.ClientWebSocketResponse,
    frames: Iterator[str],
    rate: float,
    deadline: float,
    tally: Tally,
    timeout: float,
) -> bool:
    """Send `frames` at `rate` a second until `deadline`, a ping every 700 events."""
    started, sent, unconfirmed = time.monotonic(), 0, 0
    while (now := time.monotonic()) < deadline:
        due = int((now - started) * rate) - sent
        if due <= 0:
            await asyncio.sleep(TICK_SECONDS)  # pacing, not synchronisation
            continue
        for _ in range(due):
            await socket.send_str(next(frames))
            sent += 1
            tally.sent += 1
            unconfirmed += 1
            if unconfirmed >= EVENTS_PER_PING:
                if not await checkpoint(socket, tally, timeout):
                    return False
                tally.confirmed += unconfirmed
                unconfirmed = 0
    tally.confirmed += unconfirmed  # confirmed by the caller's last checkpoint
    return True


async def load_client(
    http: aiohttp.ClientSession,
    url: str,
    plan: Plan,
    number: int,
    deadline: float,
    sent: Sent,
    args: argparse.Namespace,
) -> None:
    """One load client: its flow runs at its share of --rate, then its sentinel."""
    tally = sent.load
    try:
        socket = await open_socket(http, url, tally, args.timeout)
        if socket is None:
            return
        async with socket:
            frames = load_events(plan.client_runs[number], plan.load_flow_id)
            if not await paced(
                socket, frames, args.rate / args.clients, deadline, tally, args.timeout
            ):
                return
            event_id, occurred = str(uuid4()), stamp()
            sent.sentinels[event_id] = time.time()
            await socket.send_str(sentinel_event(plan.client_runs[number], event_id, occurred))
            tally.sent += 1
            tally.confirmed += 1
            await checkpoint(socket, tally, args.timeout)
    except TimeoutError:
        tally.errors["no pong within the timeout"] += 1
    except (aiohttp.ClientError, ConnectionError) as error:
        tally.errors[f"{type(error).__name__}: {error}"[:120]] += 1


async def probe_client(
    http: aiohttp.ClientSession,
    url: str,
    plan: Plan,
    deadline: float,
    sent: Sent,
    args: argparse.Namespace,
) -> None:
    """The probes: --probe-rate Failed runs of `bench-alerting` a second."""
    tally = sent.probe_tally

    def frames() -> Iterator[str]:
        number = 0
        while True:
            event_id, occurred = str(uuid4()), stamp()
            sent.probes[event_id] = time.time()
            yield probe(plan, number, event_id, occurred)
            number += 1

    try:
        socket = await open_socket(http, url, tally, args.timeout)
        if socket is None:
            return
        async with socket:
            if await paced(socket, frames(), args.probe_rate, deadline, tally, args.timeout):
                await checkpoint(socket, tally, args.timeout)
    except TimeoutError:
        tally.errors["no pong within the timeout"] += 1
    except (aiohttp.ClientError, ConnectionError) as error:
        tally.errors[f"{type(error).__name__}: {error}"[:120]] += 1


async def wait_for(check: Callable[[], bool], seconds: float) -> bool:
    """Poll `check` until it holds or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)  # polling interval, bounded by the deadline
    return True


async def warm_up(
    http: aiohttp.ClientSession, url: str, plan: Plan, receiver: Receiver, timeout: float
) -> float | None:
    """One probe and one sentinel, unmeasured; the seconds until all their actions came."""
    started = time.monotonic()
    tally = Tally(max_events=10)
    socket = await open_socket(http, url, tally, timeout)
    if socket is None:
        raise RuntimeError(f"the events socket refused the warm-up: {dict(tally.errors)}")
    probe_id, sentinel_id = str(uuid4()), str(uuid4())
    async with socket:
        await socket.send_str(probe(plan, 0, probe_id, stamp()))
        await socket.send_str(sentinel_event(plan.client_runs[0], sentinel_id, stamp()))
        await checkpoint(socket, tally, timeout)

    def arrived() -> bool:
        return receiver.first(sentinel_id, SENTINEL_NUMBER) is not None and all(
            receiver.first(probe_id, n) is not None for n in PROBE_NUMBERS
        )

    if not await wait_for(arrived, WARM_UP_SECONDS):
        return None
    return round(time.monotonic() - started, 2)
