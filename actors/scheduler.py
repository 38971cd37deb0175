"""The scheduler's services: flow runs created ahead for deployments, and late runs marked.

The clock sends each message; one message does one batch of deployments (or of late runs)
and sends another when more is left. Every one is safe to run twice at once: a scheduled
run is unique by (flow, idempotency key) in the database, and a run marked Late is read
again under its lock.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final
from uuid import UUID

import dramatiq

from actors import resources
from actors.services import force_states
from models.coordination.scheduler import (
    SchedulingHorizon,
    create_scheduled_runs,
    deployments_to_schedule,
    recently_updated_deployments,
)
from models.db.types import utcnow
from models.runs import late_runs

#: Late runs one message marks at most; more left means another message.
LATE_BATCH: Final = 400


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=300_000)
async def schedule_deployments(after: str | None = None) -> None:
    """Create the missing runs of deployments whose active schedules are short of runs.

    One batch of deployments, in id order after `after`; a full batch sends the next.
    """
    settings = resources.settings()
    horizon = SchedulingHorizon.from_settings(settings)
    limit = settings.scheduler_deployment_batch_size
    now = utcnow()
    database = resources.database()
    async with database.read_sessions() as session:
        page = await deployments_to_schedule(
            session, horizon, now=now, after=UUID(after) if after else None, limit=limit
        )
    await create_scheduled_runs(
        database,
        page.short_of_runs,
        horizon,
        now=now,
        batch_size=settings.scheduler_insert_batch_size,
    )
    if page.next_after is not None:  # more to do: a fresh message, not a longer loop
        schedule_deployments.send(str(page.next_after))


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=300_000)
async def schedule_recent_deployments(after: str | None = None) -> None:
    """Create the runs of deployments changed in the last seconds, so that a new or changed
    deployment has its runs within seconds rather than at the next full pass."""
    settings = resources.settings()
    horizon = SchedulingHorizon.from_settings(settings)
    limit = settings.scheduler_deployment_batch_size
    now = utcnow()
    # A second more than the period, for a deployment changed while the last pass ran.
    since = now - timedelta(seconds=settings.scheduler_recent_deployments_seconds + 1)
    database = resources.database()
    async with database.read_sessions() as session:
        deployment_ids = await recently_updated_deployments(
            session, since=since, after=UUID(after) if after else None, limit=limit
        )
    await create_scheduled_runs(
        database, deployment_ids, horizon, now=now, batch_size=settings.scheduler_insert_batch_size
    )
    if len(deployment_ids) == limit:
        schedule_recent_deployments.send(str(deployment_ids[-1]))


@dramatiq.actor(queue_name="services", max_retries=3, time_limit=60_000)
async def mark_late_flow_runs(batch_size: int = LATE_BATCH) -> None:
    """Mark Late the SCHEDULED flow runs whose time passed more than the grace period ago,
    and publish their states like any other."""
    grace = timedelta(seconds=resources.settings().late_runs_after_seconds)
    scheduled_before = utcnow() - grace
    marked = await force_states(
        lambda session: late_runs.mark_late_flow_runs(
            session, scheduled_before=scheduled_before, limit=batch_size
        )
    )
    if len(marked) == batch_size:  # more to do: a fresh message, not a longer loop
        mark_late_flow_runs.send(batch_size)
