"""Late runs: a SCHEDULED flow run nobody started on time is marked Late.

Late is a SCHEDULED state by another name: the run may still start, but the UI, the
notifications and whoever watches the events learn it missed its time. The state goes
through orchestration (the late-run policy) and is recorded and published like any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select

from models.db.types import utcnow
from models.orchestration.late_run_policy import LATE, LATE_RUN_RULES
from models.orchestration.transitions import State, iso_utc
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import FlowRun
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def mark_late_flow_runs(
    session: Session, *, scheduled_before: datetime, limit: int
) -> list[tuple[UUID, Outcome]]:
    """Mark Late up to `limit` runs still "Scheduled" for a time at or before
    `scheduled_before`; the outcomes of those that moved.

    Safe to run twice at once: each run is read again under its row lock by the proposal,
    and the late-run policy leaves one that is Late already or left SCHEDULED.
    """
    overdue = session.execute(
        select(FlowRun.id, FlowRun.next_scheduled_start_time)
        .where(
            FlowRun.state_type == StateType.SCHEDULED,
            FlowRun.state_name == "Scheduled",
            FlowRun.next_scheduled_start_time <= scheduled_before,
        )
        .order_by(FlowRun.next_scheduled_start_time)
        .limit(limit)
    ).all()
    marked = []
    for run_id, scheduled_time in overdue:
        details = {} if scheduled_time is None else {"scheduled_time": iso_utc(scheduled_time)}
        late = State(type=StateType.SCHEDULED, name=LATE, timestamp=utcnow(), state_details=details)
        outcome = propose_flow_run_state(session, run_id, late, rules=LATE_RUN_RULES)
        if outcome.entered:
            marked.append((run_id, outcome))
    return marked
