"""Pause expiry: a PAUSED flow run not resumed by its pause's timeout is marked FAILED.

A blocking pause's own process gives up at the timeout (`FlowPauseTimeout`), but a suspended
run has no process left, and a resume that never comes would leave it PAUSED for ever.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import select

from models.db.types import utcnow
from models.orchestration.transitions import State
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import FlowRun, FlowRunState
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The message of the FAILED state an expired pause leaves, as Prefect's server words it.
EXPIRED_PAUSE_MESSAGE = "The flow was paused and never resumed."


def fail_expired_pauses(
    session: Session, *, now: datetime, limit: int
) -> list[tuple[UUID, Outcome]]:
    """FAIL up to `limit` PAUSED runs whose pause timed out before `now`; their outcomes.

    Paused runs are few, so their current states are read and their `pause_timeout`
    compared here rather than in SQL, where it is text inside a JSON column on both
    databases. Safe to run twice at once: a run no longer PAUSED is left alone.
    """
    paused = session.execute(
        select(FlowRun.id, FlowRunState.state_details)
        .join(FlowRunState, FlowRunState.id == FlowRun.state_id)
        .where(FlowRun.state_type == StateType.PAUSED)
        .order_by(FlowRun.id)
    )
    expired = [run_id for run_id, details in paused if pause_expired((details or {}), now)][:limit]
    failed = []
    for run_id in expired:
        # Locked and read again: another service run may have failed it since the read above
        # (a forced transition skips the rules that would otherwise see it is not PAUSED).
        still = select(FlowRun.state_type).where(FlowRun.id == run_id).with_for_update()
        if session.scalar(still) != StateType.PAUSED:
            continue
        outcome = propose_flow_run_state(
            session,
            run_id,
            State(
                type=StateType.FAILED,
                name="Failed",
                timestamp=utcnow(),
                message=EXPIRED_PAUSE_MESSAGE,
            ),
            force=True,
        )
        if outcome.entered:
            failed.append((run_id, outcome))
    return failed


def pause_expired(state_details: dict[str, object], now: datetime) -> bool:
    """Whether a PAUSED state's `pause_timeout` (ISO 8601 text, or none) is before `now`."""
    timeout = state_details.get("pause_timeout")
    if not isinstance(timeout, str):
        return False
    try:
        moment = datetime.fromisoformat(timeout.replace("Z", "+00:00"))
    except ValueError:
        return False
    return moment.tzinfo is not None and moment < now
