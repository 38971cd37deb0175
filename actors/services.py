"""The `services` queue: periodic work the clock sends, one bounded batch per message."""

from __future__ import annotations

import json
from datetime import timedelta

import dramatiq

from actors import resources
from actors.persistence import announce_flow_run_states
from models.db.types import utcnow
from models.events.tables import EVENTS_CHANNEL
from models.messages.announcements import announcement
from models.runs.crash_detection import mark_silent_flow_runs_crashed

#: Flow runs one message marks crashed at most; more left means another message.
CRASH_BATCH = 200


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def detect_crashed_flow_runs(batch_size: int = CRASH_BATCH) -> None:
    """Mark RUNNING flow runs CRASHED whose heartbeats stopped (their process died unseen).

    Safe to run twice at once: each run is moved by a forced transition inside a locked
    read, and a run that is no longer RUNNING is left alone.
    """
    timeout = timedelta(seconds=resources.settings().flow_run_heartbeat_timeout_seconds)
    silent_since = utcnow() - timeout
    crashed = await resources.database().write(
        lambda session: mark_silent_flow_runs_crashed(
            session, silent_since=silent_since, limit=batch_size
        )
    )
    events = [crash.event for _, crash in crashed if crash.event is not None]
    if events:  # subscribers (runners, the UI) hear of crashes like any other state
        await resources.redis_client().publish(EVENTS_CHANNEL, json.dumps(events, default=str))
    announcements = [
        announcement(flow_run_id, crash.state.id, crash.initial, crash.parent_task_run_id)
        for flow_run_id, crash in crashed
        if crash.state is not None
    ]
    if announcements:
        announce_flow_run_states.send(announcements)
    if len(crashed) == batch_size:  # more to do: a fresh message, not a longer loop
        detect_crashed_flow_runs.send(batch_size)
