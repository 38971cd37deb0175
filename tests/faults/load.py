"""A load generator that speaks to a whole server as Prefect clients do, and remembers exactly
what the server acknowledged: log batches answered 201, events a pong confirmed (the client's
only confirmation), task-run states (events too) and flow-run states answered ACCEPT.

What was refused (a 503 while Redis restarts, a connection reset by a dying API) is not
acknowledged and need not be stored; what was acknowledged must be, once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aiohttp

from tests.integration.events import task_run_lifecycle

#: What a request may take before the generator counts it as unanswered and goes on.
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20)


@dataclass
class Acknowledged:
    """What the server acknowledged, and every answer it gave, by kind."""

    #: The one flow run id every log record names (so that they are counted in one query).
    log_flow_run_id: str = field(default_factory=lambda: str(uuid4()))
    log_messages: set[str] = field(default_factory=set)
    event_ids: set[str] = field(default_factory=set)
    task_run_ids: set[str] = field(default_factory=set)
    #: Flow runs whose FAILED state was accepted: each owes one notification delivery.
    failed_flow_run_ids: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    #: Requests that got no answer at all (connection refused or reset, timeout).
    unanswered: int = 0
    #: Sockets closed before their pong: what they sent was not acknowledged.
    unconfirmed_sockets: int = 0
    tried: Counter[str] = field(default_factory=Counter)


def a_log(flow_run_id: str, message: str) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {"name": "faults", "level": 20, "message": message, "timestamp": now,
            "flow_run_id": flow_run_id}  # fmt: skip


def an_event(resource: str) -> dict[str, Any]:
    return {
        "id": str(uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
        "event": "faults.load",
        "resource": {"prefect.resource.id": resource},
        "related": [],
        "payload": {},
    }


async def send_logs(http: aiohttp.ClientSession, base: str, done: Acknowledged) -> None:
    messages = [f"log-{uuid4().hex}" for _ in range(20)]
    done.tried["log records"] += len(messages)
    body = [a_log(done.log_flow_run_id, message) for message in messages]
    async with http.post(f"{base}/logs/", json=body) as answer:
        done.statuses[answer.status] += 1
        if answer.status == 201:
            done.log_messages.update(messages)


async def send_events(http: aiohttp.ClientSession, base: str, done: Acknowledged) -> None:
    """10 events and the three states of one task run on one socket, confirmed by a pong."""
    task_run_id = str(uuid4())
    events = [an_event(f"faults.{uuid4().hex}") for _ in range(10)]
    states = task_run_lifecycle(task_run_id, str(uuid4()))
    done.tried["events"] += len(events) + len(states)
    done.tried["task runs"] += 1
    url = base.replace("http://", "ws://") + "/events/in"
    async with http.ws_connect(url, protocols=("prefect",), autoping=False) as socket:
        await socket.send_json({"type": "auth", "token": None})
        if (await socket.receive_json(timeout=10)).get("type") != "auth_success":
            done.unconfirmed_sockets += 1
            return
        for event in [*events, *states]:
            await socket.send_json(event)
        await socket.ping()
        reply = await socket.receive(timeout=20)
        if reply.type is not aiohttp.WSMsgType.PONG:
            done.unconfirmed_sockets += 1
            return
    done.event_ids.update(event["id"] for event in [*events, *states])
    done.task_run_ids.add(task_run_id)


async def fail_a_flow_run(
    http: aiohttp.ClientSession, base: str, flow_id: str, done: Acknowledged
) -> None:
    """A flow run tagged `faults` moved to RUNNING, then FAILED (which a policy notifies)."""
    done.tried["flow runs"] += 1
    body = {"flow_id": flow_id, "tags": ["faults"], "state": {"type": "PENDING"}}
    async with http.post(f"{base}/flow_runs/", json=body) as answer:
        done.statuses[answer.status] += 1
        if answer.status != 201:
            return
        flow_run_id = (await answer.json())["id"]
    for state_type in ("RUNNING", "FAILED"):
        body = {"state": {"type": state_type, "message": "ValueError: boom"}}
        async with http.post(f"{base}/flow_runs/{flow_run_id}/set_state", json=body) as answer:
            done.statuses[answer.status] += 1
            if answer.status not in {200, 201} or (await answer.json())["status"] != "ACCEPT":
                return
    done.failed_flow_run_ids.add(flow_run_id)


async def keep_sending(base: str, flow_id: str, done: Acknowledged, until: threading.Event) -> None:
    """Three clients at once (logs, events, flow runs), each sending again as soon as it is
    answered, until `until` is set."""

    async def client(send: Any) -> None:
        async with aiohttp.ClientSession(timeout=REQUEST_TIMEOUT) as http:
            while not until.is_set():
                started = time.monotonic()
                try:
                    await send(http)
                except (aiohttp.ClientError, TimeoutError, ConnectionError):
                    done.unanswered += 1
                # A refused connection answers at once: pace the retries of a client that is
                # refused, as a real one would, rather than spin on one core.
                if time.monotonic() - started < 0.02:
                    await asyncio.sleep(0.05)

    await asyncio.gather(
        client(lambda http: send_logs(http, base, done)),
        client(lambda http: send_events(http, base, done)),
        client(lambda http: fail_a_flow_run(http, base, flow_id, done)),
    )
