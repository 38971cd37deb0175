"""Each firing acts once: an event sent again with the same id fires nothing more, and a
worker process killed while it evaluates a burst of events neither loses nor doubles a
firing (Signalbox only: Prefect's server evaluates inside its one process)."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from uuid import uuid4

import psutil
import pytest
import redis

from cli.server_files import read_server_files
from tests.compat.automations.harness import (
    AutomationsClient,
    WebhookReceiver,
    automation,
    automation_events,
    send_notification,
)
from tests.compat.deployments.harness import unique, wait_for
from tests.compat.prefect_client import RunningServer

pytestmark = [pytest.mark.compat, pytest.mark.timeout(900)]

BODY: Final = "{{ event.id }} on {{ event.resource.id }}"
#: Events in the burst, each about a resource of its own: one firing, one message each.
#: Enough that evaluating them keeps the worker busy for a while.
BURST: Final = 200
#: Seconds between two looks at the evaluator's held messages: it holds a batch briefly.
HELD_POLL_SECONDS: Final = 0.01
#: The queues a firing travels through in Signalbox, from the event to the receiver.
FIRING_QUEUES: Final = ("automations", "actions", "notify.webhook")
#: Seconds for the burst to be delivered whole: a killed worker's messages come back once
#: its heartbeat times out (15 s) and the broker's next maintenance runs.
BURST_DELIVERED_WITHIN_SECONDS: Final = 120.0


def on_events_named(prefix: str) -> dict[str, Any]:
    """A reactive trigger on `<prefix>.happened`, one bucket per resource."""
    return {
        "type": "event",
        "posture": "Reactive",
        "expect": [f"{prefix}.happened"],
        "match": {"prefect.resource.id": f"{prefix}.*"},
        "for_each": ["prefect.resource.id"],
        "threshold": 1,
        "within": 0,
    }


def event(prefix: str, resource: str) -> dict[str, Any]:
    return {
        "event": f"{prefix}.happened",
        "resource": {"prefect.resource.id": f"{prefix}.{resource}"},
        "id": str(uuid4()),
        "occurred": datetime.now(UTC).isoformat(),
    }


def rendered(sent: dict[str, Any]) -> str:
    return f"{sent['id']} on {sent['resource']['prefect.resource.id']}"


def test_an_event_sent_again_with_its_id_does_not_fire_twice(
    server: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    prefix = unique("compat.replayed")
    path = receiver.endpoint("replayed")
    block = client.webhook_block(receiver, path)
    automation_id = client.create_automation(
        automation(unique("replayed"), on_events_named(prefix), send_notification(block, BODY))
    )
    first = event(prefix, "thing")
    client.emit([first])
    assert receiver.wait_for_bodies(path, 1) == [rendered(first)]

    later = event(prefix, "other-thing")
    client.emit([first, first, later])  # the stored event twice more, then a new one
    bodies = receiver.wait_for_bodies(path, 2)
    assert sorted(bodies) == sorted([rendered(first), rendered(later)])
    fired = wait_for(
        lambda: automation_events(client.api_url, automation_id, "prefect.automation.triggered"),
        lambda events: len(events) >= 2,
        what="the firings stored as events",
        timeout=30,
    )
    assert len(fired) == 2, fired
    assert receiver.bodies(path) == bodies


@pytest.fixture
def signalbox(request: pytest.FixtureRequest, server: RunningServer) -> RunningServer:
    if request.node.callspec.params["server"] != "signalbox":
        pytest.skip("Prefect's server has no worker process of its own to kill")
    return server


def pool_processes(server: RunningServer, pool: str) -> list[psutil.Process]:
    """The live processes of `server start` that run the named worker pool."""
    found = []
    for child in psutil.Process(server.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):  # gone, or a zombie not yet reaped
            if f"--pool {pool}" in " ".join(child.cmdline()):
                found.append(child)
    return found


def signalbox_redis(server: RunningServer) -> redis.Redis:
    """The embedded Redis of the server (bench.servers keeps its home beside its log)."""
    files = read_server_files(Path(server.log_path).parent / "signalbox-home")
    assert files is not None and files.redis_url, "the server recorded no Redis"
    return redis.Redis.from_url(files.redis_url)


def messages_in_flight(queues: redis.Redis) -> int:
    """Messages of the firing queues not yet acknowledged (queued, held, or delayed)."""
    return sum(
        queues.hlen(f"signalbox:{queue}{suffix}.msgs")
        for queue in FIRING_QUEUES
        for suffix in ("", ".DQ")
    )


def holding_the_burst(queues: redis.Redis, event_ids: set[str]) -> bool:
    """Whether a worker process has taken, and not acknowledged, a message of the
    `automations` queue naming an event of the burst (not a clock's message)."""
    for key in queues.scan_iter("signalbox:__acks__.*.automations"):
        for message_id in queues.smembers(key):
            message = queues.hget("signalbox:automations.msgs", message_id) or b""
            if any(event_id.encode() in message for event_id in event_ids):
                return True
    return False


def kill_while_holding(
    process: psutil.Process, queues: redis.Redis, event_ids: set[str], timeout: float
) -> None:
    """SIGKILL the evaluator as soon as it holds some of the burst: mid-batch, unacknowledged."""
    deadline = time.monotonic() + timeout
    while not holding_the_burst(queues, event_ids):
        assert time.monotonic() < deadline, "the evaluator never held a message of the burst"
        time.sleep(HELD_POLL_SECONDS)  # polling interval, bounded by the deadline
    process.kill()


def test_killing_the_evaluating_worker_mid_burst_neither_loses_nor_doubles_a_firing(
    signalbox: RunningServer, client: AutomationsClient, receiver: WebhookReceiver
) -> None:
    prefix = unique("compat.burst")
    path = receiver.endpoint("burst")
    block = client.webhook_block(receiver, path)
    client.create_automation(
        automation(unique("burst"), on_events_named(prefix), send_notification(block, BODY))
    )
    [evaluator] = pool_processes(signalbox, "automations")
    queues = signalbox_redis(signalbox)
    burst = [event(prefix, f"thing-{n}") for n in range(BURST)]

    client.start_sdk("burst", "emit", json.dumps(burst))
    kill_while_holding(evaluator, queues, {sent["id"] for sent in burst}, timeout=120)
    arrived_before_the_kill = len(receiver.bodies(path))
    wait_for(
        lambda: [process.pid for process in pool_processes(signalbox, "automations")],
        lambda pids: len(pids) == 1 and pids[0] != evaluator.pid,
        what="the supervisor to restart the automations pool",
        timeout=60,
    )
    wait_for(
        lambda: (len(receiver.bodies(path)), messages_in_flight(queues)),
        lambda seen: seen[0] >= BURST and seen[1] == 0,
        what=f"{BURST} messages and nothing left in flight "
        f"({arrived_before_the_kill} arrived before the kill)",
        timeout=BURST_DELIVERED_WITHIN_SECONDS,
    )
    assert sorted(receiver.bodies(path)) == sorted(rendered(sent) for sent in burst)
