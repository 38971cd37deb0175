"""Flows: the named pieces of Python code whose runs Signalbox records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.db.base import Base, Created, Id, Name, Updated
from models.db.dialect import ignoring_duplicates
from models.errors import ObjectNotFound
from models.filters.base import count_matching, list_matching
from models.runs.flow_runs import FlowRun

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import FlowCountBody, FlowFilterBody
    from models.schemas.pagination import FlowPageBody

#: What the reference answers (404) for an unknown flow.
NOT_FOUND_DETAIL: Final = "Flow not found"


class Flow(Base):
    """A flow, known by its name; created the first time a client runs it."""

    __tablename__ = "flow"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name] = mapped_column(unique=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)


def find_or_create_flow(session: Session, row: dict[str, Any]) -> tuple[Flow, bool]:
    """The flow named `row["name"]`, made from `row` unless it exists; and whether it is new.

    Synchronous: run it with `Database.write`. The Prefect client creates its flow before
    every flow run, so this is as hot as creating the run, and in the group-commit writer
    it queues with the other writes instead of waiting for SQLite's lock on a connection of
    its own.
    """
    inserted = session.execute(ignoring_duplicates(session, Flow, ["name"]), [row]).first()
    flow = session.scalars(select(Flow).where(Flow.name == row["name"])).one()
    return flow, inserted is not None


async def read_flow(session: AsyncSession, flow_id: UUID) -> Flow:
    """The flow with that id; raises ObjectNotFound."""
    flow = await session.get(Flow, flow_id)
    if flow is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return flow


async def read_flow_by_name(session: AsyncSession, name: str) -> Flow:
    """The flow with that name; raises ObjectNotFound."""
    flow = await session.scalar(select(Flow).where(Flow.name == name))
    if flow is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    return flow


async def filter_flows(session: AsyncSession, body: FlowFilterBody) -> list[Flow]:
    """The flows matching a filter body, sorted and paged."""
    return await list_matching(session, select(Flow), body)


async def count_flows(session: AsyncSession, body: FlowCountBody) -> int:
    """How many flows match a filter body."""
    return await count_matching(session, Flow.id, body)


async def paginate_flows(session: AsyncSession, body: FlowPageBody) -> tuple[list[Flow], int]:
    """One page of flows and how many match."""
    return await filter_flows(session, body), await count_flows(session, body)


async def read_flow_names(session: AsyncSession, flow_ids: Sequence[UUID]) -> dict[UUID, str]:
    """The names of the flows with those ids, by id (an unknown id is left out)."""
    if not flow_ids:
        return {}
    rows = await session.execute(select(Flow.id, Flow.name).where(Flow.id.in_(flow_ids)))
    return {flow_id: name for flow_id, name in rows}


async def read_latest_flow_runs(
    session: AsyncSession, flow_ids: Sequence[UUID]
) -> dict[UUID, FlowRun]:
    """Each flow's run that started last, by flow id (a flow none of whose runs started is
    left out).

    One statement: per flow, the (flow, start time) index finds its latest run at once,
    however many runs the flow has.
    """
    if not flow_ids:
        return {}
    latest = (
        select(FlowRun.id)
        .where(FlowRun.flow_id == Flow.id, FlowRun.start_time.is_not(None))
        .order_by(FlowRun.start_time.desc())
        .limit(1)
        .correlate(Flow)
        .scalar_subquery()
    )
    of_flows = select(latest).where(Flow.id.in_(flow_ids))
    runs = await session.scalars(select(FlowRun).where(FlowRun.id.in_(of_flows)))
    return {run.flow_id: run for run in runs}


async def delete_flow(session: AsyncSession, flow_id: UUID) -> None:
    """Delete a flow and (by cascade) its runs; raises ObjectNotFound."""
    result = await session.execute(delete(Flow).where(Flow.id == flow_id))
    if not result.rowcount:  # type: ignore[attr-defined]  # a DELETE's result has one
        raise ObjectNotFound(NOT_FOUND_DETAIL)
