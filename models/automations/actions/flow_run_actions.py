"""Flow-run actions: cancel, suspend, resume, change the state of, or delete the flow run a
firing is about.

State changes go through the same proposal as a client's set_state (the orchestration
rules decide, `force` only where the action asks for it, as Prefect's actions do), so a
cancelled run's runner hears `prefect.flow-run.Cancelling` like any other. Each is safe to
perform twice: a second proposal of the state the run is already in is refused by the rules
and changes nothing, and a deleted run is gone.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from models.automations.actions.invocation import ActionFailed, Performed, target
from models.automations.actions.targets import inferred_flow_run_id
from models.db.types import utcnow
from models.errors import ObjectNotFound
from models.orchestration.transitions import DecisionStatus, State, iso_utc
from models.runs.flow_run_resumption import resume_flow_run
from models.runs.flow_run_transitions import Outcome, propose_flow_run_state
from models.runs.flow_runs import delete_flow_run
from models.schemas.states import StateCreate
from models.states import StateType

if TYPE_CHECKING:
    from uuid import UUID

    from models.automations.actions.invocation import Invocation
    from models.db.database import Database

#: How long a suspension waits for a resume before the run fails (Prefect's action's).
SUSPEND_TIMEOUT: Final = timedelta(seconds=3600)


def proposed_state(invocation: Invocation) -> tuple[State, bool]:
    """The state the action proposes, and whether it forces it."""
    action, automation_id = invocation.action, invocation.automation.id
    now = utcnow()
    if invocation.action_type == "cancel-flow-run":
        cancelling = StateCreate(
            type=StateType.CANCELLING, message=f"Cancelled by Automation {automation_id}"
        )
        return cancelling.proposal(now), False
    if invocation.action_type == "suspend-flow-run":
        details = {"pause_timeout": iso_utc(now + SUSPEND_TIMEOUT), "pause_reschedule": True}
        suspended = State(
            type=StateType.PAUSED,
            name="Suspended",
            timestamp=now,
            message=f"Suspended by Automation {automation_id}",
            state_details=details,
        )
        return suspended, False
    try:
        state_type = StateType(str(action.get("state", "")).upper())
    except ValueError:
        raise ActionFailed(f"Unknown state type {action.get('state')!r}") from None
    changed = StateCreate(
        type=state_type,
        name=action.get("name"),
        message=action.get("message") or f"State changed by Automation {automation_id}",
    )
    return changed.proposal(now), bool(action.get("force", False))


def refusal(outcome: Outcome, what: str) -> ActionFailed:
    """The action's failure when the rules did not accept its state, with their reason."""
    reason = outcome.decision.details.get("reason") or outcome.decision.status.value
    return ActionFailed(f"Failed to {what}: {reason}")


async def change_flow_run_state(database: Database, invocation: Invocation) -> Performed:
    """cancel-flow-run, suspend-flow-run and change-flow-run-state."""
    flow_run_id = inferred_flow_run_id(invocation)
    proposed, force = proposed_state(invocation)

    def propose(session: Any) -> Outcome:
        return propose_flow_run_state(session, flow_run_id, proposed, force=force)

    try:
        outcome = await database.write(propose)
    except ObjectNotFound:
        raise ActionFailed(f"Flow run {flow_run_id} not found") from None
    if outcome.decision.status is not DecisionStatus.ACCEPT and not already_in(outcome, proposed):
        raise refusal(outcome, "set state")
    return performed_on(flow_run_id, outcome)


def already_in(outcome: Outcome, proposed: State) -> bool:
    """Whether the run is already in the state proposed: this action entered it before its
    runner died, and the redelivered message must not record a failure for it."""
    current = outcome.state
    return current is not None and (current.type, current.name) == (proposed.type, proposed.name)


async def resume_paused_flow_run(database: Database, invocation: Invocation) -> Performed:
    """resume-flow-run: the run leaves PAUSED (or a suspension) as a client's resume would."""
    flow_run_id = inferred_flow_run_id(invocation)
    try:
        outcome = await database.write(
            lambda session: resume_flow_run(session, flow_run_id, run_input=None)
        )
    except ObjectNotFound:
        raise ActionFailed(f"Flow run {flow_run_id} not found") from None
    if outcome.decision.status is not DecisionStatus.ACCEPT:
        raise refusal(outcome, "resume flow run")
    return performed_on(flow_run_id, outcome)


async def delete_inferred_flow_run(database: Database, invocation: Invocation) -> Performed:
    """delete-flow-run. A run already deleted (this action ran before) is not an error."""
    flow_run_id = inferred_flow_run_id(invocation)
    async with database.sessions.begin() as session:
        with suppress(ObjectNotFound):
            await delete_flow_run(session, flow_run_id)
    return Performed(related=[target("flow-run", flow_run_id)])


def performed_on(flow_run_id: UUID, outcome: Outcome) -> Performed:
    state = outcome.state
    details = {"flow_run_state": state.type.value if state is not None else None}
    performed = Performed(details=details, related=[target("flow-run", flow_run_id)])
    performed.entered(flow_run_id, outcome)
    return performed
