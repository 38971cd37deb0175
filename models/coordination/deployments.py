"""Deployments: a flow packaged to be run on demand or on a schedule, their schedules, and
reading them with what their answer shows beside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from models.concurrency.decay import Occupancy
from models.concurrency.tables import ConcurrencyLimit
from models.coordination.work_pools import WorkPool, WorkQueue
from models.db.base import Base, Created, Id, Name, Updated, search_index
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.filters.base import count_matching, list_matching
from models.runs.flows import Flow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import DeploymentCountBody, DeploymentFilterBody
    from models.schemas.pagination import DeploymentPageBody

#: What the reference answers (404) for an unknown deployment.
NOT_FOUND_DETAIL: Final = "Deployment not found"


class Deployment(Base):
    """A flow with where its code lives, its parameters and the work pool that runs it."""

    __tablename__ = "deployment"
    __table_args__ = (
        UniqueConstraint("flow_id", "name"),
        search_index("deployment", "name"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name]
    flow_id: Mapped[UUID] = mapped_column(ForeignKey("flow.id", ondelete="CASCADE"), index=True)
    version: Mapped[str | None] = mapped_column(String(255))
    version_info: Mapped[dict[str, Any] | None]
    description: Mapped[str | None] = mapped_column(Text)
    paused: Mapped[bool] = mapped_column(default=False)
    #: READY while a runner or Prefect worker polls for it, NOT_READY otherwise.
    status: Mapped[str] = mapped_column(String(20), default="NOT_READY")
    last_polled: Mapped[datetime | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    parameter_openapi_schema: Mapped[dict[str, Any] | None]
    enforce_parameter_schema: Mapped[bool] = mapped_column(default=True)
    job_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    entrypoint: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str | None] = mapped_column(Text)
    pull_steps: Mapped[list[Any] | None]
    work_queue_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("work_queue.id", ondelete="SET NULL"), index=True
    )
    work_queue_name: Mapped[str | None] = mapped_column(String(255))
    concurrency_limit_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("concurrency_limit.id", ondelete="SET NULL")
    )
    concurrency_options: Mapped[dict[str, Any] | None]
    storage_document_id: Mapped[UUID | None]
    infrastructure_document_id: Mapped[UUID | None]


class DeploymentSchedule(Base):
    """One schedule of a deployment (interval, cron or rrule, as the client sends it)."""

    __tablename__ = "deployment_schedule"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    deployment_id: Mapped[UUID] = mapped_column(
        ForeignKey("deployment.id", ondelete="CASCADE"), index=True
    )
    schedule: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)
    max_scheduled_runs: Mapped[int | None]
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    slug: Mapped[str | None] = mapped_column(String(255))


@dataclass(frozen=True)
class DeploymentView:
    """A deployment with what its answer shows beside it: schedules, limit and work pool."""

    deployment: Deployment
    schedules: list[DeploymentSchedule]
    concurrency_limit: ConcurrencyLimit | None
    occupancy: Occupancy | None
    work_pool_name: str | None


#: Schedules are listed most recently changed first, as the reference lists them.
SCHEDULE_ORDER = (DeploymentSchedule.updated.desc(), DeploymentSchedule.id.desc())

#: The name of a work pool of the deployment's queue, read beside it.
POOL_NAME = (
    select(WorkPool.name)
    .join(WorkQueue, WorkQueue.work_pool_id == WorkPool.id)
    .where(WorkQueue.id == Deployment.work_queue_id)
    .scalar_subquery()
)


async def view_deployments(
    session: AsyncSession, deployments: Sequence[Deployment]
) -> list[DeploymentView]:
    """The views of deployments already read, in their order, with three more queries."""
    ids = [deployment.id for deployment in deployments]
    if not ids:
        return []
    schedules: dict[UUID, list[DeploymentSchedule]] = {id_: [] for id_ in ids}
    for schedule in await session.scalars(
        select(DeploymentSchedule)
        .where(DeploymentSchedule.deployment_id.in_(ids))
        .order_by(*SCHEDULE_ORDER)
        .execution_options(populate_existing=True)
    ):
        schedules[schedule.deployment_id].append(schedule)
    limit_ids = [d.concurrency_limit_id for d in deployments if d.concurrency_limit_id]
    limits = {
        limit.id: limit
        for limit in await session.scalars(
            select(ConcurrencyLimit).where(ConcurrencyLimit.id.in_(limit_ids))
        )
    }
    rows = await session.execute(select(Deployment.id, POOL_NAME).where(Deployment.id.in_(ids)))
    pools: dict[UUID, str | None] = {id_: name for id_, name in rows}
    now = utcnow().timestamp()
    views = []
    for deployment in deployments:
        limit = (
            limits.get(deployment.concurrency_limit_id) if deployment.concurrency_limit_id else None
        )
        views.append(
            DeploymentView(
                deployment=deployment,
                schedules=schedules[deployment.id],
                concurrency_limit=limit,
                occupancy=Occupancy.of(limit).decayed(now) if limit is not None else None,
                work_pool_name=pools.get(deployment.id),
            )
        )
    return views


async def read_deployment(session: AsyncSession, deployment_id: UUID) -> DeploymentView:
    """The deployment with that id; raises ObjectNotFound."""
    deployment = await session.scalar(
        select(Deployment)
        .where(Deployment.id == deployment_id)
        .execution_options(populate_existing=True)
    )
    if deployment is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return (await view_deployments(session, [deployment]))[0]


async def read_deployment_by_name(
    session: AsyncSession, flow_name: str, deployment_name: str
) -> DeploymentView:
    """The deployment named so of the flow named so; raises ObjectNotFound."""
    deployment = await session.scalar(
        select(Deployment)
        .join(Flow, Flow.id == Deployment.flow_id)
        .where(Flow.name == flow_name, Deployment.name == deployment_name)
        .execution_options(populate_existing=True)
    )
    if deployment is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return (await view_deployments(session, [deployment]))[0]


async def filter_deployments(
    session: AsyncSession, body: DeploymentFilterBody
) -> list[DeploymentView]:
    """The deployments matching a filter body, sorted and paged."""
    return await view_deployments(session, await list_matching(session, select(Deployment), body))


async def count_deployments(session: AsyncSession, body: DeploymentCountBody) -> int:
    """How many deployments match a filter body."""
    return await count_matching(session, Deployment.id, body)


async def count_deployments_of_flows(
    session: AsyncSession, flow_ids: Sequence[UUID]
) -> dict[UUID, int]:
    """How many deployments each flow has, by flow id (a flow without any is left out)."""
    if not flow_ids:
        return {}
    rows = await session.execute(
        select(Deployment.flow_id, func.count())
        .where(Deployment.flow_id.in_(flow_ids))
        .group_by(Deployment.flow_id)
    )
    return {flow_id: count for flow_id, count in rows}


async def paginate_deployments(
    session: AsyncSession, body: DeploymentPageBody
) -> tuple[list[DeploymentView], int]:
    """One page of deployments and how many match."""
    return await filter_deployments(session, body), await count_deployments(session, body)
