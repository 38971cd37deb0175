"""Cancelling timeout: a flow run left CANCELLING too long is marked CANCELLED.

CANCELLING asks the Prefect worker or runner that started the run to stop it and report
CANCELLED. A run no process holds (PENDING when cancelled, or whose worker is gone) would
stay CANCELLING for ever: after the timeout it is moved on, as Prefect's server does.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select

from models.db.types import utcnow
from models.orchestration.transitions import State
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import FlowRun
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The message of the CANCELLED state a timed-out cancellation leaves, as Prefect words it.
CANCELLING_TIMED_OUT_MESSAGE = "Flow run cancellation timed out; marked this flow run as Cancelled."


def cancel_stuck_flow_runs(
    session: Session, *, cancelling_since: datetime, limit: int
) -> list[tuple[UUID, Outcome]]:
    """CANCEL up to `limit` runs CANCELLING since before `cancelling_since`; their outcomes.

    The CANCELLED state goes through the orchestration policy like a worker's would. Safe to
    run twice at once: each run is read again under its row lock, and one no longer
    CANCELLING (its worker reported CANCELLED meanwhile) is left as it is.
    """
    stuck = session.scalars(
        select(FlowRun.id)
        .where(
            FlowRun.state_type == StateType.CANCELLING,
            FlowRun.state_timestamp < cancelling_since,
        )
        .order_by(FlowRun.state_timestamp)
        .limit(limit)
    )
    cancelled = []
    for run_id in list(stuck):
        # Locked and read again: another service run may have cancelled it since the read.
        still = select(FlowRun.state_type).where(FlowRun.id == run_id).with_for_update()
        if session.scalar(still) != StateType.CANCELLING:
            continue
        outcome = propose_flow_run_state(
            session,
            run_id,
            State(
                type=StateType.CANCELLED,
                name="Cancelled",
                timestamp=utcnow(),
                message=CANCELLING_TIMED_OUT_MESSAGE,
            ),
        )
        if outcome.entered:
            cancelled.append((run_id, outcome))
    return cancelled
