"""Acting on many flow runs at once: deleting them, proposing one state to each."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select

from models.concurrency.leases import release_flow_run_leases
from models.db.types import utcnow
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import FlowRun
from models.runs.logs import Log

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

    from models.schemas.flow_run_bulk import FlowRunBulkDelete, FlowRunBulkSetState


async def delete_flow_runs(session: AsyncSession, body: FlowRunBulkDelete) -> list[UUID]:
    """Delete the runs the body picks, with their state histories and logs; their ids."""
    listing = body.matching().apply(select(FlowRun.id), session.get_bind().dialect.name)
    flow_run_ids = list(await session.scalars(listing))
    if flow_run_ids:
        await session.execute(
            delete(Log)
            .where(Log.flow_run_id.in_(flow_run_ids))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(FlowRun)
            .where(FlowRun.id.in_(flow_run_ids))
            .execution_options(synchronize_session=False)
        )
        await release_flow_run_leases(session, flow_run_ids, utcnow())  # deployment slots
    return flow_run_ids


def set_flow_run_states(session: Session, body: FlowRunBulkSetState) -> list[tuple[UUID, Outcome]]:
    """Propose the body's state to each run it picks, as set_state does for one.

    Synchronous: run it with `Database.write`; the runs are picked in the same transaction,
    so each one is still there when its state is proposed.
    """
    listing = body.matching().apply(select(FlowRun.id), session.get_bind().dialect.name)
    outcomes = []
    for flow_run_id in session.scalars(listing).all():
        proposed = body.state.proposal(utcnow())
        outcomes.append(
            (flow_run_id, propose_flow_run_state(session, flow_run_id, proposed, force=body.force))
        )
    return outcomes
