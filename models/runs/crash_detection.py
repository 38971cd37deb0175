"""Crash detection: a RUNNING flow run whose heartbeats stopped is marked CRASHED.

A flow process killed hard (`os._exit`, a lost machine) sends no final state; the client's
`prefect.flow-run.heartbeat` events (every 180 s by default) are then the only sign of life.
Runs that never sent a heartbeat are left alone: their client may not send any.
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


def mark_silent_flow_runs_crashed(
    session: Session, *, silent_since: datetime, limit: int
) -> list[tuple[UUID, Outcome]]:
    """CRASH up to `limit` RUNNING runs whose last heartbeat is older than `silent_since`.

    Returns the outcome of each crash (its state, the state it left, its event), so the
    caller can announce them.
    """
    silent = session.scalars(
        select(FlowRun)
        .where(
            FlowRun.state_type == StateType.RUNNING,
            FlowRun.last_heartbeat_time.is_not(None),
            FlowRun.last_heartbeat_time < silent_since,
        )
        .order_by(FlowRun.last_heartbeat_time)
        .limit(limit)
    )
    crashed = []
    for flow_run in list(silent):
        assert flow_run.last_heartbeat_time is not None
        silence = (utcnow() - flow_run.last_heartbeat_time).total_seconds()
        message = (
            f"Flow run crashed: no heartbeat for {silence:.0f} s "
            f"(the last at {flow_run.last_heartbeat_time.isoformat()}); "
            "its process stopped without reporting a final state."
        )
        outcome = propose_flow_run_state(
            session,
            flow_run.id,
            State(type=StateType.CRASHED, name="Crashed", timestamp=utcnow(), message=message),
            force=True,
        )
        if outcome.entered:
            crashed.append((flow_run.id, outcome))
    return crashed
