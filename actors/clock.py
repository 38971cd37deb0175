"""The clock: sends each periodic service message when it is due, and nothing else.

Exactly one clock should run, but two by mistake do not double the work: before sending, a
clock takes a Redis key for that job that lives as long as the job's period, and only the
clock that took it sends.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from typing import Any

from dramatiq import Actor

from actors.automations import (
    evaluate_proactive_triggers,
    resend_unacted_firings,
    sweep_events_for_automations,
)
from actors.broker import broker
from actors.counters import LEASE_SWEEP_PERIOD_SECONDS, expire_concurrency_leases
from actors.scheduler import (
    mark_late_flow_runs,
    schedule_deployments,
    schedule_recent_deployments,
)
from actors.services import (
    cancel_stuck_cancelling_flow_runs,
    detect_crashed_flow_runs,
    fail_expired_pauses_of_flow_runs,
    watch_worker_health,
)

logger = logging.getLogger(__name__)

#: Each periodic actor and how often it is sent.
EVERY: dict[Actor[..., Any], timedelta] = {
    detect_crashed_flow_runs: timedelta(seconds=30),
    # As often as Prefect's server looks: a suspended run fails within seconds of its timeout.
    fail_expired_pauses_of_flow_runs: timedelta(seconds=5),
    cancel_stuck_cancelling_flow_runs: timedelta(seconds=10),
    expire_concurrency_leases: timedelta(seconds=LEASE_SWEEP_PERIOD_SECONDS),
    # As often as Prefect's foreman looks.
    watch_worker_health: timedelta(seconds=15),
    # Prefect's scheduler loops: every deployment each minute, changed ones every 5 s.
    schedule_deployments: timedelta(seconds=60),
    schedule_recent_deployments: timedelta(seconds=5),
    mark_late_flow_runs: timedelta(seconds=5),
    # Prefect's proactive triggers are looked at every 5 s too; proactive windows are >= 10 s.
    evaluate_proactive_triggers: timedelta(seconds=5),
    # Within the sweep's 30 s overlap, so each event is read at least once.
    sweep_events_for_automations: timedelta(seconds=10),
    resend_unacted_firings: timedelta(seconds=30),
}

#: Seconds between two looks at what is due.
TICK_SECONDS = 0.5


def claim_tick(actor: Actor[..., Any], period: timedelta, clock_id: str) -> bool:
    """Whether this clock may send `actor` now (no other clock did within its period)."""
    key = f"{broker.namespace}:clock:{actor.actor_name}"
    period_ms = max(int(period.total_seconds() * 1000) - 100, 1)  # a little slack for jitter
    return bool(broker.client.set(key, clock_id, nx=True, px=period_ms))


def run_clock(stop: threading.Event, every: dict[Actor[..., Any], timedelta] = EVERY) -> None:
    """Send each periodic message when it is due, until `stop` is set."""
    clock_id = f"{socket.gethostname()}:{os.getpid()}"
    next_due = dict.fromkeys(every, 0.0)
    logger.info("Clock %s started with %d periodic jobs.", clock_id, len(every))
    while not stop.is_set():
        for actor, period in every.items():
            if time.monotonic() < next_due[actor]:
                continue
            next_due[actor] = time.monotonic() + period.total_seconds()
            if claim_tick(actor, period, clock_id):
                actor.send()
        stop.wait(TICK_SECONDS)
