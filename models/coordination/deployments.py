"""Deployments: a flow packaged to be run on demand or on a schedule, and their schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name, Updated, search_index


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
