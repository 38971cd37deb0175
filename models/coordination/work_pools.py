"""Work pools, their work queues, and the Prefect workers that poll them."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from models.db.base import Base, Created, Id, Name, Updated


class WorkPool(Base):
    """Where deployments' runs wait for a Prefect worker of the pool's type."""

    __tablename__ = "work_pool"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(255))
    base_job_template: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_paused: Mapped[bool] = mapped_column(default=False)
    #: READY while at least one Prefect worker is online, NOT_READY otherwise, PAUSED.
    status: Mapped[str] = mapped_column(String(20), default="NOT_READY")
    concurrency_limit: Mapped[int | None]
    storage_configuration: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # No foreign key: queues already point at their pool, and SQLite cannot ALTER in a cycle.
    default_queue_id: Mapped[UUID | None]


class InWorkPool:
    """The leading columns of a row that belongs to a work pool and is named uniquely in it.

    Declared first (`sort_order`): a mixin's columns otherwise follow the table's own, and
    the tables were created with these first.
    """

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint]:
        return (UniqueConstraint("work_pool_id", "name"),)

    id: Mapped[Id] = mapped_column(sort_order=-1)
    created: Mapped[Created] = mapped_column(sort_order=-1)
    updated: Mapped[Updated] = mapped_column(sort_order=-1)
    work_pool_id: Mapped[UUID] = mapped_column(
        ForeignKey("work_pool.id", ondelete="CASCADE"), sort_order=-1
    )
    name: Mapped[Name] = mapped_column(sort_order=-1)


class WorkQueue(InWorkPool, Base):
    """A queue inside a work pool; lower priority numbers are served first."""

    __tablename__ = "work_queue"

    description: Mapped[str | None] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(default=False)
    concurrency_limit: Mapped[int | None]
    priority: Mapped[int] = mapped_column(default=1)
    last_polled: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="NOT_READY")


class Worker(InWorkPool, Base):
    """A Prefect worker process as its pool sees it: alive while it keeps sending heartbeats."""

    __tablename__ = "worker"

    last_heartbeat_time: Mapped[datetime | None] = mapped_column(index=True)
    heartbeat_interval_seconds: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="OFFLINE")
