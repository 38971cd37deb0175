"""Resuming a paused flow run, with the input its pause waits for, in the caller's transaction.

A blocking pause (`pause_flow_run`) is resumed into RUNNING: its process polls for that and
goes on. A suspension (`suspend_flow_run`) is resumed into a SCHEDULED "Resuming" that its
deployment's Prefect worker starts again. Either way the proposal goes through the flow-run
orchestration policy, so a pause that timed out is rejected into FAILED. A pause that waits
for input stored the input's JSON schema under its keyset's `schema` key: the input must fit
it, and is stored under the `response` key only once the run has moved on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

import orjson

from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.orchestration.transitions import Decision, DecisionStatus, State, iso_utc
from models.runs.flow_run_inputs import read_flow_run_input_now, store_flow_run_input_now
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import NOT_FOUND_DETAIL, FlowRun, FlowRunState
from models.schemas.flow_run_inputs import run_input_problem
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def refused(current: State, reason: str) -> Outcome:
    """A REJECT that leaves the run paused; Prefect details it as an abort, so do we."""
    details = {"type": "abort_details", "reason": reason}
    return Outcome(Decision(DecisionStatus.REJECT, current, details), current, entered=False)


def resume_flow_run(
    session: Session, flow_run_id: UUID, run_input: dict[str, Any] | None
) -> Outcome:
    """Propose the state that resumes a paused run; raises ObjectNotFound.

    Synchronous: run it with `Database.write`.
    """
    flow_run = session.get(FlowRun, flow_run_id, with_for_update=True)
    if flow_run is None:
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    row = session.get(FlowRunState, flow_run.state_id) if flow_run.state_id else None
    if row is None or row.type is not StateType.PAUSED:
        not_paused = Decision.abort("Cannot resume a flow run that is not paused.", None)
        return Outcome(not_paused, None, entered=False)
    current = State.from_row(row)
    keyset = current.state_details.get("run_input_keyset") or {}
    if keyset:
        run_input = run_input or {}
        stored = read_flow_run_input_now(session, flow_run_id, keyset.get("schema", ""))
        if stored is None:
            return refused(current, "Run input schema not found.")
        try:
            schema = orjson.loads(stored)
        except orjson.JSONDecodeError:
            return refused(current, "Run input schema is not valid JSON.")
        if (problem := run_input_problem(run_input, schema)) is not None:
            return refused(current, problem)
    now = utcnow()
    if current.state_details.get("pause_reschedule"):
        details = {"scheduled_time": iso_utc(now)}
        resumed = State(type=StateType.SCHEDULED, name="Resuming", timestamp=now,
                        state_details=details)  # fmt: skip
    else:
        resumed = State(type=StateType.RUNNING, name="Running", timestamp=now)
    outcome = propose_flow_run_state(session, flow_run_id, resumed)
    if keyset and run_input and outcome.decision.status is DecisionStatus.ACCEPT:
        store_flow_run_input_now(
            session, flow_run_id, keyset["response"], orjson.dumps(run_input).decode()
        )
    return outcome
