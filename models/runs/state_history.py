"""A run's state history, alike for flow runs and task runs: the columns of a history row, and
reading states back."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from models.errors import ObjectNotFound
from models.states import StateType

if TYPE_CHECKING:
    from uuid import UUID

    from sqlalchemy import ColumnElement
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.runs.flow_runs import FlowRunState
    from models.runs.task_runs import TaskRunState

StateRow = TypeVar("StateRow", "FlowRunState", "TaskRunState")


class StateColumns:
    """The columns of one state in a history, after the row's id, `created` and run id.

    A mixin's columns follow the table's own, so each table keeps its column order.
    """

    type: Mapped[StateType]
    name: Mapped[str] = mapped_column(String(255))
    timestamp: Mapped[datetime]
    message: Mapped[str | None] = mapped_column(Text)
    state_details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The client's result record, kept opaque and echoed back.
    data: Mapped[Any | None]


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
