"""A deployment's schedules: list, add, change, delete, and replace them all at once.

Every change removes the runs the scheduler made from the old schedules and has not started
(models/coordination/scheduled_runs.py); the scheduler makes them again from the new ones.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import select, update

from models.coordination.deployments import (
    NOT_FOUND_DETAIL,
    SCHEDULE_ORDER,
    Deployment,
    DeploymentSchedule,
)
from models.coordination.scheduled_runs import delete_future_auto_scheduled_runs
from models.errors import InvalidRequest, ObjectAlreadyExists, ObjectNotFound

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: What the reference answers (404) for an unknown schedule of a known deployment.
SCHEDULE_NOT_FOUND_DETAIL: Final = "Schedule not found."
#: The reference's 404 on its schedule routes has a full stop.
DEPLOYMENT_NOT_FOUND_DETAIL: Final = f"{NOT_FOUND_DETAIL}."
DUPLICATE_SLUG_DETAIL: Final = "Schedule slugs must be unique within a deployment."


async def check_deployment(session: AsyncSession, deployment_id: UUID) -> None:
    if await session.get(Deployment, deployment_id) is None:
        raise ObjectNotFound(DEPLOYMENT_NOT_FOUND_DETAIL)


async def touch_deployment(session: AsyncSession, deployment_id: UUID, now: datetime) -> None:
    """Mark the deployment changed now: the scheduler fills in the runs of recently changed
    deployments within seconds, and its schedules just changed."""
    await session.execute(
        update(Deployment)
        .where(Deployment.id == deployment_id)
        .values(updated=now)
        .execution_options(synchronize_session=False)
    )


async def read_schedules(session: AsyncSession, deployment_id: UUID) -> list[DeploymentSchedule]:
    """The deployment's schedules, oldest first; raises ObjectNotFound for the deployment."""
    await check_deployment(session, deployment_id)
    rows = await session.scalars(
        select(DeploymentSchedule)
        .where(DeploymentSchedule.deployment_id == deployment_id)
        .order_by(*SCHEDULE_ORDER)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def check_unique_slugs(slugs: list[str | None]) -> None:
    given = [slug for slug in slugs if slug is not None]
    if len(given) != len(set(given)):
        raise ObjectAlreadyExists(DUPLICATE_SLUG_DETAIL)


def new_schedule(
    deployment_id: UUID, row: dict[str, Any], now: datetime, index: int
) -> DeploymentSchedule:
    """A new schedule row; the `index`-th of a batch is a microsecond younger than the one
    before, so a batch lists in a fixed order (the last given first, as the reference)."""
    moment = now + timedelta(microseconds=index)
    return DeploymentSchedule(
        id=uuid4(), created=moment, updated=moment, deployment_id=deployment_id, **row
    )


async def add_schedules(
    session: AsyncSession, deployment_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> list[DeploymentSchedule]:
    """Add schedules to a deployment; a slug it already has is a 422."""
    existing = await read_schedules(session, deployment_id)
    check_unique_slugs([s.slug for s in existing] + [row["slug"] for row in rows])
    added = [new_schedule(deployment_id, row, now, i) for i, row in enumerate(rows)]
    session.add_all(added)
    await session.flush()
    await delete_future_auto_scheduled_runs(session, deployment_id)
    await touch_deployment(session, deployment_id, now)
    return added


async def replace_schedules(
    session: AsyncSession, deployment_id: UUID, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Make the deployment's schedules those given: a schedule whose slug matches one it has
    changes that one (keeping its id), the others are new, and the rest are deleted."""
    check_unique_slugs([row["slug"] for row in rows])
    existing = await read_schedules(session, deployment_id)
    by_slug = {s.slug: s for s in existing if s.slug is not None}
    kept: set[UUID] = set()
    for index, row in enumerate(rows):
        match = by_slug.get(row["slug"]) if row["slug"] is not None else None
        if match is None:
            session.add(new_schedule(deployment_id, row, now, index))
            continue
        for column, value in row.items():
            setattr(match, column, value)
        match.updated = now + timedelta(microseconds=index)
        kept.add(match.id)
    for schedule in existing:
        if schedule.id not in kept:
            await session.delete(schedule)
    await session.flush()


async def read_schedule_of(
    session: AsyncSession, deployment_id: UUID, schedule_id: UUID
) -> DeploymentSchedule:
    await check_deployment(session, deployment_id)
    schedule = await session.get(DeploymentSchedule, schedule_id)
    if schedule is None or schedule.deployment_id != deployment_id:
        raise ObjectNotFound(SCHEDULE_NOT_FOUND_DETAIL)
    return schedule


async def update_schedule(
    session: AsyncSession,
    deployment_id: UUID,
    schedule_id: UUID,
    changes: dict[str, Any],
    now: datetime,
) -> None:
    """Change the fields sent of one schedule; raises ObjectNotFound."""
    schedule = await read_schedule_of(session, deployment_id, schedule_id)
    if changes.get("slug") is not None:
        others = await read_schedules(session, deployment_id)
        if any(s.slug == changes["slug"] and s.id != schedule_id for s in others):
            raise ObjectAlreadyExists(DUPLICATE_SLUG_DETAIL)
    for column, value in changes.items():
        setattr(schedule, column, value)
    schedule.updated = now
    await delete_future_auto_scheduled_runs(session, deployment_id)
    await touch_deployment(session, deployment_id, now)


async def delete_schedule(
    session: AsyncSession, deployment_id: UUID, schedule_id: UUID, now: datetime
) -> None:
    """Delete one schedule of a deployment; raises ObjectNotFound."""
    schedule = await read_schedule_of(session, deployment_id, schedule_id)
    await session.delete(schedule)
    await delete_future_auto_scheduled_runs(session, deployment_id)
    await touch_deployment(session, deployment_id, now)


#: What the reference answers (422) when schedules sent by PATCH cannot be matched.
SLUGS_NEEDED_DETAIL: Final = (
    "Please provide a slug for each schedule in your request to ensure schedules are updated"
    " correctly."
)
NO_SCHEDULE_DETAIL: Final = (
    "Unable to create new deployment schedules without a schedule configuration."
)


async def patch_schedules(
    session: AsyncSession,
    deployment_id: UUID,
    changes: list[tuple[str | None, str | None, dict[str, Any]]],
    now: datetime,
) -> None:
    """The schedules of a PATCH of the deployment, as the reference applies them. Each is
    (slug, the slug it replaces, its columns sent). When every schedule the deployment has
    and every one sent has a slug, those matching a slug (or the slug they replace) change
    and the others are added, the rest kept; a deployment whose schedules all have slugs
    needs slugs sent (422); otherwise the schedules sent replace them all."""
    existing = await read_schedules(session, deployment_id)
    all_sent_slugged = all(slug is not None for slug, _, _ in changes)
    all_had_slugs = bool(existing) and all(s.slug is not None for s in existing)
    if all_had_slugs and not all_sent_slugged:
        raise InvalidRequest(SLUGS_NEEDED_DETAIL)
    if any("schedule" not in columns for slug, replaces, columns in changes) and not (
        all_had_slugs
    ):
        raise InvalidRequest(NO_SCHEDULE_DETAIL)
    if not all_had_slugs:
        await replace_schedules(session, deployment_id, [full_row(c) for _, _, c in changes], now)
        return
    by_slug = {s.slug: s for s in existing}
    for index, (slug, replaces, columns) in enumerate(changes):
        match = by_slug.get(replaces or slug)
        if match is None:
            if "schedule" not in columns:
                raise InvalidRequest(NO_SCHEDULE_DETAIL)
            session.add(
                new_schedule(deployment_id, full_row({**columns, "slug": slug}), now, index)
            )
            continue
        for column, value in {**columns, "slug": slug}.items():
            setattr(match, column, value)
        match.updated = now + timedelta(microseconds=index)
    await session.flush()


def full_row(columns: dict[str, Any]) -> dict[str, Any]:
    """A new schedule's columns: those sent, and the defaults for the others."""
    return {
        "active": True,
        "max_scheduled_runs": None,
        "parameters": {},
        "slug": None,
        **columns,
    }
