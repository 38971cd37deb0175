"""The `services` queue: periodic work the clock sends, one bounded batch per message."""

from __future__ import annotations

from datetime import timedelta

import dramatiq

from actors import resources
from actors.persistence import announce_flow_run_state
from models.crash_detection import mark_silent_flow_runs_crashed
from models.types import utcnow

#: Flow runs one message marks crashed at most; more left means another message.
CRASH_BATCH = 200


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def detect_crashed_flow_runs(batch_size: int = CRASH_BATCH) -> None:
    """Mark RUNNING flow runs CRASHED whose heartbeats stopped (their process died unseen).

    Safe to run twice at once: each run is moved by a forced transition inside a locked
    read, and a run that is no longer RUNNING is left alone.
    """
    timeout = timedelta(seconds=resources.settings().flow_run_heartbeat_timeout_seconds)
    async with resources.database().sessions.begin() as session:
        crashed = await mark_silent_flow_runs_crashed(
            session, silent_since=utcnow() - timeout, limit=batch_size
        )
    for flow_run_id, state_id, initial in crashed:
        announce_flow_run_state.send(str(flow_run_id), str(state_id), initial)
    if len(crashed) == batch_size:  # more to do: a fresh message, not a longer loop
        detect_crashed_flow_runs.send(batch_size)
