"""The scheduler: flow runs created ahead for deployments' active schedules.

Each active schedule of a deployment that is not paused gets SCHEDULED flow runs ahead of
time, as Prefect's server makes them: until at least `min_runs` are planned and the last
is at least `min_time` ahead, never more than `max_runs` (nor the schedule's
`max_scheduled_runs`) and never past `max_time` ahead. A run's idempotency key names its
deployment, schedule and time, and (flow, idempotency key) is unique in the database: two
schedulers, or one message delivered twice, never make a second run for one time.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid4

from sqlalchemy import JSON, and_, case, exists, func, literal, or_, select, true, type_coerce

from models.coordination.deployments import Deployment, DeploymentSchedule
from models.coordination.schedule_times import upcoming_times
from models.coordination.work_pools import WorkPool, WorkQueue
from models.db.dialect import ignore_duplicates, table_of, uuid_text
from models.db.types import utcnow
from models.orchestration.bookkeeping import enter_state
from models.orchestration.transitions import RunSnapshot, State, iso_utc
from models.runs.flow_runs import FlowRun, FlowRunState
from models.runs.flows import Flow
from models.runs.names import make_run_name
from models.schemas.flow_runs import FlowRunPolicy
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.db.database import Database
    from models.settings import Settings

logger = logging.getLogger(__name__)

#: The tag every run the scheduler makes carries, before the deployment's own.
AUTO_SCHEDULED_TAG: Final = "auto-scheduled"
#: The message of an auto-scheduled run's first state.
SCHEDULED_MESSAGE: Final = "Flow run scheduled"
#: How a schedule is named in `created_by` when it has no slug, by its kind.
SCHEDULE_CLASS_NAMES: Final = {
    "interval": "IntervalSchedule",
    "cron": "CronSchedule",
    "rrule": "RRuleSchedule",
}


@dataclass(frozen=True)
class SchedulingHorizon:
    """How far ahead, and how many runs, each active schedule is given."""

    min_runs: int = 3
    max_runs: int = 100
    min_time: timedelta = timedelta(hours=1)
    max_time: timedelta = timedelta(days=100)

    @classmethod
    def from_settings(cls, settings: Settings) -> SchedulingHorizon:
        return cls(
            min_runs=settings.scheduler_min_runs,
            max_runs=settings.scheduler_max_runs,
            min_time=timedelta(seconds=settings.scheduler_min_scheduled_time_seconds),
            max_time=timedelta(seconds=settings.scheduler_max_scheduled_time_seconds),
        )


# Which deployments need runs.


def has_active_schedule() -> Any:
    return exists(
        select(literal(1)).where(
            DeploymentSchedule.deployment_id == Deployment.id,
            DeploymentSchedule.active.is_(True),
        )
    )


def upcoming_runs_by_schedule(deployment_ids: Sequence[UUID], now: datetime) -> Any:
    """Per (deployment, schedule id as text), for the given deployments: how many
    auto-scheduled runs wait from `now` on, and the time of the last. The runs are found
    by deployment and grouped, rather than counted once per schedule."""
    schedule_id = type_coerce(FlowRun.created_by, JSON)["id"].as_string()
    return (
        select(
            FlowRun.deployment_id,
            schedule_id.label("schedule_id"),
            func.count().label("runs"),
            func.max(FlowRun.next_scheduled_start_time).label("last"),
        )
        .where(
            FlowRun.deployment_id.in_(deployment_ids),
            FlowRun.state_type == StateType.SCHEDULED,
            FlowRun.next_scheduled_start_time >= now,
            FlowRun.auto_scheduled == true(),
        )
        .group_by(FlowRun.deployment_id, schedule_id)
        .subquery("upcoming")
    )


@dataclass(frozen=True)
class DeploymentPage:
    """One page of deployments looked at: those short of runs, and where the next starts."""

    short_of_runs: list[UUID]
    #: The last deployment looked at when the page was full (more may follow), else None.
    next_after: UUID | None


async def deployments_to_schedule(
    session: AsyncSession,
    horizon: SchedulingHorizon,
    *,
    now: datetime,
    after: UUID | None = None,
    limit: int = 100,
) -> DeploymentPage:
    """Of the next `limit` deployments (id order, after `after`) that are not paused and
    have an active schedule, those with an active schedule short of runs.

    A schedule is short when it has fewer upcoming runs than the minimum (its own
    `max_scheduled_runs` if lower), or when its last one is less than the minimum time
    ahead. A page is looked at as a whole, so a pass costs the same however few need runs.
    """
    candidates = select(Deployment.id).where(Deployment.paused.is_not(True), has_active_schedule())
    if after is not None:
        candidates = candidates.where(Deployment.id > after)
    page = list(await session.scalars(candidates.order_by(Deployment.id).limit(limit)))
    if not page:
        return DeploymentPage([], None)
    upcoming = upcoming_runs_by_schedule(page, now)
    wanted = case(
        (
            DeploymentSchedule.max_scheduled_runs < horizon.min_runs,
            DeploymentSchedule.max_scheduled_runs,
        ),
        else_=horizon.min_runs,
    )
    short = (
        select(DeploymentSchedule.deployment_id)
        .outerjoin(
            upcoming,
            and_(
                upcoming.c.deployment_id == DeploymentSchedule.deployment_id,
                upcoming.c.schedule_id == uuid_text(DeploymentSchedule.id),
            ),
        )
        .where(
            DeploymentSchedule.deployment_id.in_(page),
            DeploymentSchedule.active.is_(True),
            or_(
                func.coalesce(upcoming.c.runs, 0) < wanted,
                upcoming.c.last.is_(None),
                upcoming.c.last < now + horizon.min_time,
            ),
        )
        .group_by(DeploymentSchedule.deployment_id)
        .order_by(DeploymentSchedule.deployment_id)
    )
    return DeploymentPage(
        list(await session.scalars(short)), page[-1] if len(page) == limit else None
    )


async def recently_updated_deployments(
    session: AsyncSession, *, since: datetime, after: UUID | None = None, limit: int = 100
) -> list[UUID]:
    """Deployments changed at or after `since` that are not paused and have an active
    schedule, in id order after `after`."""
    query = select(Deployment.id).where(
        Deployment.paused.is_not(True), Deployment.updated >= since, has_active_schedule()
    )
    if after is not None:
        query = query.where(Deployment.id > after)
    return list(await session.scalars(query.order_by(Deployment.id).limit(limit)))


# Which runs to create.


@dataclass(frozen=True)
class ScheduledRun:
    """A flow run the scheduler wants, as the values of its row (state columns apart)."""

    values: dict[str, Any]
    scheduled_time: datetime


def schedule_dates(
    schedule: DeploymentSchedule, horizon: SchedulingHorizon, now: datetime
) -> list[datetime]:
    """The times `schedule` should have runs at, from `now` on."""
    most = horizon.max_runs
    if schedule.max_scheduled_runs is not None:
        most = min(most, schedule.max_scheduled_runs)
    if most <= 0:
        return []
    dates: list[datetime] = []
    for moment in upcoming_times(schedule.schedule, now, now + horizon.max_time, most):
        dates.append(moment)
        # Both minimums met: enough runs, and far enough ahead.
        if len(dates) >= horizon.min_runs and moment >= now + horizon.min_time:
            break
    return dates


async def plan_scheduled_runs(
    session: AsyncSession,
    deployment_ids: Sequence[UUID],
    horizon: SchedulingHorizon,
    *,
    now: datetime,
) -> list[ScheduledRun]:
    """The runs the deployments' active schedules want from `now` on, existing ones included
    (inserting them skips those). Deployments that are paused or whose flow is gone get
    none; a schedule that cannot be read is logged and skipped."""
    if not deployment_ids:
        return []
    rows = await session.execute(
        select(Deployment, WorkQueue.work_pool_id, WorkPool.name)
        .join(Flow, Flow.id == Deployment.flow_id)
        .outerjoin(WorkQueue, WorkQueue.id == Deployment.work_queue_id)
        .outerjoin(WorkPool, WorkPool.id == WorkQueue.work_pool_id)
        .where(Deployment.id.in_(deployment_ids), Deployment.paused.is_not(True))
    )
    deployments = {row[0].id: row for row in rows}
    schedules = await session.scalars(
        select(DeploymentSchedule)
        .where(
            DeploymentSchedule.deployment_id.in_(list(deployments)),
            DeploymentSchedule.active.is_(True),
        )
        .order_by(DeploymentSchedule.deployment_id, DeploymentSchedule.created)
    )
    runs: list[ScheduledRun] = []
    for schedule in schedules:
        deployment, work_pool_id, work_pool_name = deployments[schedule.deployment_id]
        try:
            dates = schedule_dates(schedule, horizon, now)
        except Exception:  # one bad schedule must not stop the others being scheduled
            logger.exception("Cannot read schedule %s of deployment %s", schedule.id, deployment.id)
            continue
        common = run_values(deployment, schedule, work_pool_id, work_pool_name)
        for moment in dates:
            key = f"scheduled {deployment.id} {schedule.id} {moment.isoformat()}"
            at = moment.astimezone(UTC)
            values = {
                **common,
                "idempotency_key": key,
                "expected_start_time": at,
                "next_scheduled_start_time": at,
            }
            runs.append(ScheduledRun(values, at))
    return runs


def run_values(
    deployment: Deployment,
    schedule: DeploymentSchedule,
    work_pool_id: UUID | None,
    work_pool_name: str | None,
) -> dict[str, Any]:
    """The columns every run of one schedule shares, as Prefect's scheduler fills them."""
    kind = next((name for name in SCHEDULE_CLASS_NAMES if name in schedule.schedule), "")
    return {
        "flow_id": deployment.flow_id,
        "flow_version": None,
        "deployment_id": deployment.id,
        "deployment_version": deployment.version,
        "parameters": {**(deployment.parameters or {}), **(schedule.parameters or {})},
        "context": {},
        "tags": [AUTO_SCHEDULED_TAG, *(deployment.tags or [])],
        "labels": {
            **(deployment.labels or {}),
            "prefect.flow.id": str(deployment.flow_id),
            "prefect.deployment.id": str(deployment.id),
        },
        "empirical_policy": FlowRunPolicy().model_dump(mode="json"),
        # Left empty as on Prefect's server: the Prefect worker merges the deployment's job
        # variables when it starts the run, so a later change to them still applies.
        "job_variables": {},
        "parent_task_run_id": None,
        "work_queue_id": deployment.work_queue_id,
        "work_queue_name": deployment.work_queue_name,
        "work_pool_id": work_pool_id,
        "work_pool_name": work_pool_name,
        "infrastructure_document_id": deployment.infrastructure_document_id,
        "created_by": {
            "id": str(schedule.id),
            "display_value": schedule.slug or SCHEDULE_CLASS_NAMES.get(kind, "Schedule"),
            "type": "SCHEDULE",
        },
        "run_count": 0,
        "total_run_time_seconds": 0.0,
        "auto_scheduled": True,
    }


# Creating them.


def insert_scheduled_runs(session: Session, runs: Sequence[ScheduledRun]) -> list[UUID]:
    """Insert the runs in their SCHEDULED state, skipping any whose key exists; the new ids.

    Each row is written as `create_flow_run` writes one (its state copied in, one history
    row). The unique (flow, idempotency key) decides which runs are new, so a concurrent
    or repeated call inserts nothing twice. Synchronous: run it with `Database.write`.
    """
    if not runs:
        return []
    now = utcnow()
    rows: list[dict[str, Any]] = []
    states: dict[UUID, dict[str, Any]] = {}
    for run in runs:
        values = {**run.values, "id": uuid4(), "created": now, "updated": now}
        values["name"] = make_run_name()
        state = State(
            type=StateType.SCHEDULED,
            name="Scheduled",
            timestamp=now,
            message=SCHEDULED_MESSAGE,
            state_details={
                "scheduled_time": iso_utc(run.scheduled_time),
                "flow_run_id": str(values["id"]),
            },
        )
        new_run = RunSnapshot(
            id=values["id"],
            kind="flow_run",
            state=None,
            empirical_policy=dict(values["empirical_policy"]),
            deployment_id=values["deployment_id"],
        )
        changes = enter_state(new_run, state)
        rows.append({**values, **changes.columns()})
        states[values["id"]] = {
            "flow_run_id": values["id"],
            "created": now,
            **changes.state.columns(),
        }
    dialect = session.get_bind().dialect.name
    # A plain executemany (RETURNING would make one statement of thousands of parameters,
    # which psycopg spends longer parsing than PostgreSQL takes to insert). The ids are
    # fresh, so the rows found by them afterwards are the ones this call inserted.
    session.execute(ignore_duplicates(dialect, FlowRun, ("flow_id", "idempotency_key")), rows)
    inserted = list(session.scalars(select(FlowRun.id).where(FlowRun.id.in_(list(states)))))
    if inserted:
        session.execute(table_of(FlowRunState).insert(), [states[id_] for id_ in inserted])
    return inserted


async def create_scheduled_runs(
    database: Database,
    deployment_ids: Sequence[UUID],
    horizon: SchedulingHorizon,
    *,
    now: datetime,
    batch_size: int = 500,
) -> list[UUID]:
    """Plan the deployments' runs from `now` on and insert the missing ones, `batch_size`
    to a transaction; the ids of the runs created. The scheduler's services use it, and so
    can an API route scheduling one deployment at once."""
    async with database.read_sessions() as session:
        runs = await plan_scheduled_runs(session, deployment_ids, horizon, now=now)
    created: list[UUID] = []
    for start in range(0, len(runs), batch_size):
        batch = runs[start : start + batch_size]
        created += await database.write(partial(insert_scheduled_runs, runs=batch))
    return created
