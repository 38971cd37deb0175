"""Task runs and the history of states each one went through."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Name, Updated
from models.states import StateType


class TaskRun(Base):
    """One execution of a task inside a flow run, built mostly from the client's events.

    `flow_run_id` has no foreign key on purpose: task-run events travel on their own socket
    and may reach the server before or after the flow run they belong to.
    """

    __tablename__ = "task_run"
    __table_args__ = (
        Index("ix_task_run_flow_run_id_expected_start_time", "flow_run_id", "expected_start_time"),
        Index(
            "ix_task_run_flow_run_id_task_key_dynamic_key", "flow_run_id", "task_key", "dynamic_key"
        ),
        Index(
            "ix_task_run_tags_gin",
            "tags",
            postgresql_using="gin",
            postgresql_ops={"tags": "jsonb_path_ops"},
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_task_run_name_trgm",
            "name",
            postgresql_using="gin",
            postgresql_ops={"name": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(index=True)
    flow_run_id: Mapped[UUID | None]
    task_key: Mapped[str] = mapped_column(String(255))
    dynamic_key: Mapped[str] = mapped_column(String(255))
    task_version: Mapped[str | None] = mapped_column(String(255))
    cache_key: Mapped[str | None] = mapped_column(String(255))
    cache_expiration: Mapped[datetime | None]

    state_id: Mapped[UUID | None]  # no foreign key, as for flow runs
    state_type: Mapped[StateType | None] = mapped_column(index=True)
    state_name: Mapped[str | None] = mapped_column(String(255), index=True)
    state_timestamp: Mapped[datetime | None]

    run_count: Mapped[int] = mapped_column(default=0)
    flow_run_run_count: Mapped[int] = mapped_column(default=0)
    expected_start_time: Mapped[datetime | None] = mapped_column(index=True)
    next_scheduled_start_time: Mapped[datetime | None]
    start_time: Mapped[datetime | None] = mapped_column(index=True)
    end_time: Mapped[datetime | None]
    total_run_time_seconds: Mapped[float] = mapped_column(default=0.0)

    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    task_inputs: Mapped[dict[str, Any]] = mapped_column(default=dict)
    empirical_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TaskRunState(Base):
    """One state a task run entered; its id is the id of the event that carried it."""

    __tablename__ = "task_run_state"
    __table_args__ = (Index("ix_task_run_state_task_run_id_timestamp", "task_run_id", "timestamp"),)

    id: Mapped[Id]
    created: Mapped[Created]
    task_run_id: Mapped[UUID] = mapped_column(ForeignKey("task_run.id", ondelete="CASCADE"))
    type: Mapped[StateType]
    name: Mapped[str] = mapped_column(String(255))
    timestamp: Mapped[datetime]
    message: Mapped[str | None] = mapped_column(Text)
    state_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    data: Mapped[Any | None]
