"""Flow runs and the history of states each one went through."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import (
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    Uuid,
    delete,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.concurrency.leases import release_flow_run_leases
from models.db.base import Base, Created, Id, Name, Updated, search_index
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.filters.base import count_matching
from models.orchestration.transitions import State
from models.runs.state_history import StateColumns, read_history, read_history_row
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import FlowRunCountBody

#: What the reference answers (404) for an unknown flow run.
NOT_FOUND_DETAIL: Final = "Flow run not found"


class FlowRun(Base):
    """One execution of a flow, with the state it is in now copied onto the row.

    The copy (state_id, state_type, state_name, state_timestamp) lets lists and filters
    read runs by state without a join; `set_state` keeps it in step with the history.
    """

    __tablename__ = "flow_run"
    __table_args__ = (
        UniqueConstraint("flow_id", "idempotency_key"),
        Index("ix_flow_run_state_type_expected_start_time", "state_type", "expected_start_time"),
        Index("ix_flow_run_flow_id_start_time", "flow_id", "start_time"),
        Index(
            "ix_flow_run_deployment_id_expected_start_time", "deployment_id", "expected_start_time"
        ),
        # A Prefect worker's poll reads a queue's SCHEDULED runs soonest first from it, and
        # counts the queue's PENDING and RUNNING runs with its first two columns.
        Index(
            "ix_flow_run_work_queue_id_state_type_next_scheduled_start_time",
            "work_queue_id",
            "state_type",
            "next_scheduled_start_time",
        ),
        # The default listing order (EXPECTED_START_TIME_DESC, ties by id): without it
        # PostgreSQL sorts the whole table for every list. SQLite cannot index NULLS LAST.
        Index(
            "ix_flow_run_expected_start_time_desc_id_desc",
            text("expected_start_time DESC NULLS LAST"),
            text("id DESC"),
        ).ddl_if(dialect="postgresql"),
        search_index("flow_run", "tags"),
        search_index("flow_run", "name"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(index=True)
    # Foreign keys name their type: one left to its target's stays NULL until that table is
    # imported, and the flow-run listing reads column types at import to write each value.
    flow_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("flow.id", ondelete="CASCADE"))
    flow_version: Mapped[str | None] = mapped_column(String(255))

    # The current state, copied from its history row; an older state never replaces it.
    # No foreign key: history rows already point at their run, and a cycle of keys would
    # need ALTER TABLE, which SQLite cannot do.
    state_id: Mapped[UUID | None]
    state_type: Mapped[StateType | None] = mapped_column(index=True)
    state_name: Mapped[str | None] = mapped_column(String(255), index=True)
    state_timestamp: Mapped[datetime | None]

    run_count: Mapped[int] = mapped_column(default=0)
    expected_start_time: Mapped[datetime | None] = mapped_column(index=True)
    next_scheduled_start_time: Mapped[datetime | None] = mapped_column(index=True)
    start_time: Mapped[datetime | None] = mapped_column(index=True)
    end_time: Mapped[datetime | None] = mapped_column(index=True)
    total_run_time_seconds: Mapped[float] = mapped_column(default=0.0)
    #: The last `prefect.flow-run.heartbeat` event; crash detection reads it.
    last_heartbeat_time: Mapped[datetime | None]

    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    context: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    empirical_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    job_variables: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    # No foreign key: the placeholder task run of a subflow may be recorded after its child.
    parent_task_run_id: Mapped[UUID | None] = mapped_column(index=True)

    deployment_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("deployment.id", ondelete="SET NULL")
    )
    deployment_version: Mapped[str | None] = mapped_column(String(255))
    work_queue_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("work_queue.id", ondelete="SET NULL")
    )
    work_queue_name: Mapped[str | None] = mapped_column(String(255))
    work_pool_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("work_pool.id", ondelete="SET NULL")
    )
    work_pool_name: Mapped[str | None] = mapped_column(String(255))
    auto_scheduled: Mapped[bool] = mapped_column(default=False)
    infrastructure_pid: Mapped[str | None] = mapped_column(String(255))
    infrastructure_document_id: Mapped[UUID | None]
    created_by: Mapped[dict[str, Any] | None]


class FlowRunState(StateColumns, Base):
    """One state a flow run entered; the history keeps every one, in timestamp order."""

    __tablename__ = "flow_run_state"
    __table_args__ = (Index("ix_flow_run_state_flow_run_id_timestamp", "flow_run_id", "timestamp"),)

    id: Mapped[Id]
    created: Mapped[Created]
    flow_run_id: Mapped[UUID] = mapped_column(ForeignKey("flow_run.id", ondelete="CASCADE"))


async def current_state_row(session: AsyncSession, flow_run: FlowRun) -> FlowRunState | None:
    """The history row of the run's current state (None before it has one)."""
    if flow_run.state_id is None:
        return None
    return await session.get(FlowRunState, flow_run.state_id)


async def read_flow_run(
    session: AsyncSession, flow_run_id: UUID
) -> tuple[FlowRun, FlowRunState | None]:
    """The flow run with its current state's history row; raises ObjectNotFound."""
    flow_run = await session.get(FlowRun, flow_run_id)
    if flow_run is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return flow_run, await current_state_row(session, flow_run)


async def lock_flow_run(session: AsyncSession, flow_run_id: UUID) -> FlowRun:
    """The flow run, locked until the transaction ends (on PostgreSQL); ObjectNotFound."""
    flow_run = await session.get(FlowRun, flow_run_id, with_for_update=True)
    if flow_run is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return flow_run


async def update_flow_run(
    session: AsyncSession, flow_run_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    """Set the columns in `changes`; raises ObjectNotFound."""
    flow_run = await lock_flow_run(session, flow_run_id)
    for column, value in changes.items():
        setattr(flow_run, column, value)
    flow_run.updated = now


async def update_flow_run_labels(
    session: AsyncSession, flow_run_id: UUID, labels: dict[str, Any], now: datetime
) -> None:
    """Add or replace the labels given and keep the others; raises ObjectNotFound."""
    flow_run = await lock_flow_run(session, flow_run_id)
    flow_run.labels = {**(flow_run.labels or {}), **labels}
    flow_run.updated = now


async def delete_flow_run(session: AsyncSession, flow_run_id: UUID) -> None:
    """Delete a flow run and (by cascade) its state history; raises ObjectNotFound.

    A deployment concurrency slot the run still holds is given back.
    """
    result = await session.execute(delete(FlowRun).where(FlowRun.id == flow_run_id))
    if not result.rowcount:  # type: ignore[attr-defined]  # a DELETE's result has one
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    await release_flow_run_leases(session, [flow_run_id], utcnow())


async def count_flow_runs(session: AsyncSession, body: FlowRunCountBody) -> int:
    """How many flow runs match a filter body."""
    return await count_matching(session, FlowRun.id, body)


async def count_flow_runs_up_to(session: AsyncSession, body: FlowRunCountBody, most: int) -> int:
    """How many flow runs match a filter body, counting no further than `most`: a page says
    "more than 10,000" rather than have the database count a million runs."""
    dialect = session.get_bind().dialect.name
    # Selecting a constant lets an index of the criteria answer without reading the runs.
    matching = select(literal(1)).select_from(FlowRun).where(body.where(dialect)).limit(most)
    return await session.scalar(select(func.count()).select_from(matching.subquery())) or 0


async def read_flow_run_states(session: AsyncSession, flow_run_id: UUID) -> list[FlowRunState]:
    """The run's state history, oldest first."""
    return await read_history(session, FlowRunState, FlowRunState.flow_run_id == flow_run_id)


async def read_flow_run_state(session: AsyncSession, state_id: UUID) -> FlowRunState:
    """One history row by id; raises ObjectNotFound."""
    return await read_history_row(session, FlowRunState, state_id, "Flow run state not found")


@dataclass(frozen=True)
class SubflowState:
    """A state a subflow's run entered, with the task run that stands for it in its parent."""

    state_id: UUID
    flow_run_id: UUID
    parent_task_run_id: UUID
    state: State


async def read_subflow_states(
    session: AsyncSession, state_ids: Sequence[UUID]
) -> list[SubflowState]:
    """Those of the given flow-run states that belong to subflows, to mirror on their parents.

    States of runs that are not subflows, and of runs deleted since, are not returned.
    """
    rows = await session.execute(
        select(FlowRunState, FlowRun.parent_task_run_id)
        .join(FlowRun, FlowRun.id == FlowRunState.flow_run_id)
        .where(FlowRunState.id.in_(state_ids), FlowRun.parent_task_run_id.is_not(None))
    )
    return [
        SubflowState(row.id, row.flow_run_id, parent_task_run_id, State.from_row(row))
        for row, parent_task_run_id in rows
        if parent_task_run_id is not None  # the WHERE says so; this tells the type checker
    ]
