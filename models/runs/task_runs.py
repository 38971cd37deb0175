"""Task runs and the history of states each one went through."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from sqlalchemy import ForeignKey, Index, String, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from models.concurrency.tables import ConcurrencyLease
from models.db.base import Base, Created, Id, Name, Updated, search_index
from models.db.dialect import ignore_duplicates, insert_ignoring_duplicates, per_dialect, upsert
from models.db.driver_rows import DriverRows
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.events.tables import EVENT_ROWS
from models.filters.base import count_matching, list_matching
from models.runs.state_history import StateColumns, read_history, read_history_row
from models.states import StateType, is_terminal

if TYPE_CHECKING:
    from sqlalchemy.dialects.postgresql import Insert as PgInsert
    from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.filters.bodies import TaskRunCountBody, TaskRunFilterBody
    from models.orchestration.transitions import State
    from models.schemas.pagination import TaskRunPageBody
    from models.schemas.task_run_events import TaskRunStateRows

#: Namespace of the ids of subflow states mirrored onto their placeholder task runs.
MIRRORED_STATE_NAMESPACE = UUID("5c1b0a7e-3d1f-4f2a-9a51-0d7b1c2e8f01")


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
        search_index("task_run", "tags"),
        search_index("task_run", "name"),
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


class TaskRunState(StateColumns, Base):
    """One state a task run entered; its id is the id of the event that carried it."""

    __tablename__ = "task_run_state"
    __table_args__ = (Index("ix_task_run_state_task_run_id_timestamp", "task_run_id", "timestamp"),)

    id: Mapped[Id]
    created: Mapped[Created]
    task_run_id: Mapped[UUID] = mapped_column(ForeignKey("task_run.id", ondelete="CASCADE"))


def upsert_task_runs_by_newer_state(dialect: str) -> PgInsert | SqliteInsert:
    """INSERT task runs; an existing run takes the row only when its state is newer.

    Core on the table, no RETURNING, so a batch of events is one executemany of one
    statement; `updated` travels in each row.
    """
    table = Base.metadata.tables["task_run"]
    return upsert(
        dialect,
        table,
        key=["id"],
        columns=[column.name for column in table.c if column.name not in {"id", "created"}],
        where=lambda insert: or_(
            table.c.state_timestamp.is_(None),
            table.c.state_timestamp < insert.excluded.state_timestamp,
        ),
    )


#: The two statements of `record_task_run_states`, the rows handed to SQLite's driver as they
#: are stored: history rows are inserted once each (a state's id is its event's id).
UPSERT_TASK_RUNS: Final = DriverRows(
    per_dialect(upsert_task_runs_by_newer_state), Base.metadata.tables["task_run"]
)
INSERT_TASK_RUN_STATES: Final = DriverRows(
    per_dialect(lambda dialect: ignore_duplicates(dialect, Base.metadata.tables["task_run_state"])),
    Base.metadata.tables["task_run_state"],
)


def record_task_run_states(session: Session, rows: Sequence[TaskRunStateRows]) -> None:
    """Write task runs and their states as reported by the client's events, in any order.

    The first event of a run creates it; a later event updates it only when its state is
    newer than the run's current one, so a late or redelivered event never moves the run
    backwards. Every state enters the history once (its id is the event's id).
    Each event is also stored in the `event` table (once, by its id), in the same
    transaction: the event feed and the run's history never disagree.
    Pass the rows sorted by state timestamp: a batch then moves each run once per state.
    Each table's rows are written in the order of their ids, so two writers whose batches
    share runs lock them in one order and never deadlock (PostgreSQL's `DeadlockDetected`).
    """
    if not rows:
        return
    now = utcnow()
    # The connection, not the session: plain Core executemany, no ORM bulk bookkeeping.
    # An existing run keeps its `created` (the upsert never sets it).
    connection = session.connection()
    runs = sorted(newest_task_run_rows(rows), key=by_id)
    UPSERT_TASK_RUNS.execute(connection, [run | {"created": now, "updated": now} for run in runs])
    states = sorted((row.state for row in rows), key=by_id)
    INSERT_TASK_RUN_STATES.execute(connection, [state | {"created": now} for state in states])
    events = sorted((row.event for row in rows), key=by_id)
    EVENT_ROWS.execute(connection, [event | {"received": now} for event in events])


def by_id(row: dict[str, Any]) -> str:
    """The key rows are written in: their id, as text (a UUID or its text alike)."""
    return str(row["id"])


def newest_task_run_rows(rows: Sequence[TaskRunStateRows]) -> list[dict[str, Any]]:
    """The one row of each task run that a run ends up with after upserting them all.

    Upserted in order, a run takes each strictly newer state, so of its rows (sorted by
    state timestamp) the first with the newest timestamp is the one it keeps, whatever it
    had before; upserting that one alone stores the same, for a third of the rows when a
    batch holds a run's whole life (Pending, Running, Completed).
    """
    newest: dict[Any, dict[str, Any]] = {}
    for row in rows:
        run = row.task_run
        kept = newest.get(run["id"])
        if kept is None or kept["state_timestamp"] < run["state_timestamp"]:
            newest[run["id"]] = run
    return list(newest.values())


#: One lease held by any task run, if there is one.
SOME_TASK_RUN_LEASE: Final = (
    select(ConcurrencyLease.id)
    .where(ConcurrencyLease.holder["type"].as_string() == "task_run")
    .limit(1)
)


def any_task_run_holds_a_lease(session: Session) -> bool:
    """Whether a task run holds concurrency slots; if none does, a finished one holds none.

    Nearly always false (clients give their slots back as a task run ends), and then a
    batch of events need not queue the release of its finished runs' slots: a message and
    a write transaction saved per batch.
    """
    return session.execute(SOME_TASK_RUN_LEASE).first() is not None


async def mirror_child_flow_run_state(
    session: AsyncSession, parent_task_run_id: UUID, child_flow_run_id: UUID, state: State
) -> bool:
    """Copy a subflow's new state onto its placeholder task run; False if there is none.

    The client never updates the placeholder itself; the reference server mirrors the
    child's states onto it (with `child_flow_run_id`), and the UI reads them there.
    """
    task_run = await session.get(TaskRun, parent_task_run_id, with_for_update=True)
    if task_run is None:
        return False
    mirrored_id = uuid5(MIRRORED_STATE_NAMESPACE, str(state.id))  # one copy, however often
    details = {
        **state.state_details,
        "task_run_id": str(task_run.id),
        "child_flow_run_id": str(child_flow_run_id),
    }
    details.pop("flow_run_id", None)
    if task_run.flow_run_id is not None:
        details["flow_run_id"] = str(task_run.flow_run_id)
    row = {
        "id": mirrored_id,
        "task_run_id": task_run.id,
        "type": state.type,
        "name": state.name,
        "timestamp": state.timestamp,
        "message": state.message,
        "state_details": details,
        "data": None,
    }
    if not await insert_ignoring_duplicates(session, TaskRunState, [row]):
        return True  # mirrored before: a redelivered message
    # The child's states may be announced in any order, so the placeholder's bookkeeping is
    # recomputed from its whole history rather than stepped forward one state at a time.
    history = list(
        await session.scalars(
            select(TaskRunState)
            .where(TaskRunState.task_run_id == task_run.id)
            .order_by(TaskRunState.timestamp)
        )
    )
    current, runs = history[-1], [s for s in history if s.type is StateType.RUNNING]
    task_run.state_id, task_run.state_type = current.id, current.type
    task_run.state_name, task_run.state_timestamp = current.name, current.timestamp
    task_run.run_count = len(runs)
    task_run.start_time = runs[0].timestamp if runs else None
    task_run.end_time = current.timestamp if is_terminal(current.type) else None
    if task_run.start_time is not None:
        task_run.total_run_time_seconds = (
            (task_run.end_time or current.timestamp) - task_run.start_time
        ).total_seconds()
    task_run.updated = utcnow()
    return True


async def current_state_row(session: AsyncSession, task_run: TaskRun) -> TaskRunState | None:
    """The history row of the run's current state (None before it has one)."""
    return None if task_run.state_id is None else await session.get(TaskRunState, task_run.state_id)


async def read_task_run(
    session: AsyncSession, task_run_id: UUID
) -> tuple[TaskRun, TaskRunState | None]:
    """The task run with its current state's history row; raises ObjectNotFound."""
    task_run = await session.get(TaskRun, task_run_id)
    if task_run is None:
        raise ObjectNotFound("Task run not found")
    return task_run, await current_state_row(session, task_run)


async def delete_task_run(session: AsyncSession, task_run_id: UUID) -> None:
    """Delete a task run and (by cascade) its state history; raises ObjectNotFound.

    A task worker deletes a background task run it cannot run (an unknown task, parameters
    it cannot read), so no other worker takes it.
    """
    result = await session.execute(delete(TaskRun).where(TaskRun.id == task_run_id))
    if not result.rowcount:  # type: ignore[attr-defined]  # a DELETE's result has one
        raise ObjectNotFound("Task run not found")


async def filter_task_runs(
    session: AsyncSession, body: TaskRunFilterBody
) -> list[tuple[TaskRun, TaskRunState | None]]:
    """The task runs matching a filter body, sorted and paged, each with its current state."""
    runs = await list_matching(session, select(TaskRun), body)
    state_ids = [run.state_id for run in runs if run.state_id is not None]
    # One query for every current state, not one per run.
    states = {
        state.id: state
        for state in await session.scalars(
            select(TaskRunState).where(TaskRunState.id.in_(state_ids))
        )
    }
    return [(run, states.get(run.state_id) if run.state_id else None) for run in runs]


async def count_task_runs(session: AsyncSession, body: TaskRunCountBody) -> int:
    """How many task runs match a filter body."""
    return await count_matching(session, TaskRun.id, body)


async def paginate_task_runs(
    session: AsyncSession, body: TaskRunPageBody
) -> tuple[list[tuple[TaskRun, TaskRunState | None]], int]:
    """One page of task runs with their current states, and how many match."""
    return await filter_task_runs(session, body), await count_task_runs(session, body)


async def read_task_run_states(session: AsyncSession, task_run_id: UUID) -> list[TaskRunState]:
    """The run's state history, oldest first."""
    return await read_history(session, TaskRunState, TaskRunState.task_run_id == task_run_id)


async def read_task_run_state(session: AsyncSession, state_id: UUID) -> TaskRunState:
    """One history row by id; raises ObjectNotFound."""
    return await read_history_row(session, TaskRunState, state_id, "Task run state not found")
