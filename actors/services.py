"""The `services` queue: periodic work the clock sends, one bounded batch per message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from uuid import UUID

import dramatiq

from actors import resources
from actors.owed_announcements import send_owed_announcements
from models.coordination.foreman import (
    mark_pools_without_workers_not_ready,
    mark_silent_workers_offline,
    mark_unpolled_deployments_not_ready,
    mark_unpolled_queues_not_ready,
)
from models.db.types import utcnow
from models.events.tables import EVENTS_CHANNEL
from models.messages.announcements import announcement
from models.messages.outbox import add_announcements
from models.runs.cancelling_timeout import cancel_stuck_flow_runs
from models.runs.crash_detection import mark_silent_flow_runs_crashed
from models.runs.flow_run_transitions import Outcome
from models.runs.pause_expiry import fail_expired_pauses

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.messages.announcements import Announcement

#: Flow runs one message marks crashed at most; more left means another message.
CRASH_BATCH = 200
#: Expired pauses one message fails at most; more left means another message.
PAUSE_BATCH = 200
#: Stuck cancellations one message ends at most; more left means another message.
CANCELLING_BATCH = 200


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def detect_crashed_flow_runs(batch_size: int = CRASH_BATCH) -> None:
    """Mark RUNNING flow runs CRASHED whose heartbeats stopped (their process died unseen).

    Safe to run twice at once: each run is moved by a forced transition inside a locked
    read, and a run that is no longer RUNNING is left alone.
    """
    timeout = timedelta(seconds=resources.settings().flow_run_heartbeat_timeout_seconds)
    silent_since = utcnow() - timeout
    crashed = await force_states(
        lambda session: mark_silent_flow_runs_crashed(
            session, silent_since=silent_since, limit=batch_size
        )
    )
    if len(crashed) == batch_size:  # more to do: a fresh message, not a longer loop
        detect_crashed_flow_runs.send(batch_size)


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def fail_expired_pauses_of_flow_runs(batch_size: int = PAUSE_BATCH) -> None:
    """Mark FAILED the PAUSED flow runs whose pause timed out without a resume.

    Safe to run twice at once: each run is moved by a forced transition, and a run that is
    no longer PAUSED is left alone.
    """
    failed = await force_states(
        lambda session: fail_expired_pauses(session, now=utcnow(), limit=batch_size)
    )
    if len(failed) == batch_size:  # more to do: a fresh message, not a longer loop
        fail_expired_pauses_of_flow_runs.send(batch_size)


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def cancel_stuck_cancelling_flow_runs(batch_size: int = CANCELLING_BATCH) -> None:
    """Mark CANCELLED the flow runs left CANCELLING longer than the cancelling timeout.

    Safe to run twice at once: a run no longer CANCELLING, read again under its row lock,
    is left alone.
    """
    timeout = timedelta(seconds=resources.settings().cancelling_timeout_seconds)
    cancelled = await force_states(
        lambda session: cancel_stuck_flow_runs(
            session, cancelling_since=utcnow() - timeout, limit=batch_size
        )
    )
    if len(cancelled) == batch_size:  # more to do: a fresh message, not a longer loop
        cancel_stuck_cancelling_flow_runs.send(batch_size)


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def watch_worker_health() -> None:
    """The foreman's round: silent Prefect workers OFFLINE, pools without an online worker
    NOT_READY, queues and deployments nobody polls NOT_READY.

    Safe to run twice at once: each step only moves rows still in the status it leaves.
    """
    settings = resources.settings()
    database = resources.database()
    now = utcnow()
    await database.write(
        lambda session: mark_silent_workers_offline(
            session,
            now,
            settings.worker_fallback_heartbeat_interval_seconds,
            settings.worker_inactivity_heartbeat_multiple,
        )
    )
    # After the workers: a pool whose last worker just went silent is NOT_READY this round.
    await database.write(lambda session: mark_pools_without_workers_not_ready(session, now))
    await database.write(
        lambda session: mark_unpolled_deployments_not_ready(
            session, now, settings.deployment_last_polled_timeout_seconds
        )
    )
    await database.write(
        lambda session: mark_unpolled_queues_not_ready(
            session, now, settings.work_queue_last_polled_timeout_seconds
        )
    )


ForcedStates = list[tuple[UUID, Outcome]]


async def force_states(work: Callable[[Session], ForcedStates]) -> ForcedStates:
    """Run a service's forced transitions with their announcements written into the outbox in
    the same transaction; then publish their events and send the announcements."""

    def forced(session: Session) -> tuple[ForcedStates, list[Announcement], UUID | None]:
        outcomes = work(session)
        announcements = [
            announcement(flow_run_id, outcome.state.id, outcome.initial, outcome.parent_task_run_id)
            for flow_run_id, outcome in outcomes
            if outcome.state is not None
        ]
        return outcomes, announcements, add_announcements(session, announcements)

    outcomes, announcements, owed = await resources.database().write(forced)
    events = [outcome.event for _, outcome in outcomes if outcome.event is not None]
    if events:  # subscribers (runners, the UI) hear of them like any other state
        await resources.redis_client().publish(EVENTS_CHANNEL, json.dumps(events, default=str))
    await send_owed_announcements(announcements, owed)
    return outcomes
