"""Reading states back from a run's history, alike for flow runs and task runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import select

from models.errors import ObjectNotFound

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.runs.flow_runs import FlowRunState
    from models.runs.task_runs import TaskRunState

StateRow = TypeVar("StateRow", "FlowRunState", "TaskRunState")


async def read_history(
    session: AsyncSession, table: type[StateRow], of_run: ColumnElement[bool]
) -> list[StateRow]:
    """The states `of_run` selects, oldest first (ties in the order they were recorded)."""
    rows = await session.scalars(
        select(table).where(of_run).order_by(table.timestamp, table.created)
    )
    return list(rows)


async def read_history_row(
    session: AsyncSession, table: type[StateRow], state_id: UUID, not_found_detail: str
) -> StateRow:
    """One state by id; raises ObjectNotFound with the detail the reference answers."""
    state = await session.get(table, state_id)
    if state is None:
        raise ObjectNotFound(not_found_detail)
    return state
