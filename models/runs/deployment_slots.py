"""A flow run's slot on its deployment's concurrency limit, taken and given back around set_state.

As on Prefect's server, the slot is taken before the orchestration rules decide (they read
the outcome from the run snapshot) and settled once they have: a slot the run did not enter
its new state with goes back at once; a run leaving PENDING, RUNNING or CANCELLING gives its
slot back; any other state the run enters carries the lease on, in
`state_details.deployment_concurrency_lease_id`, which the Prefect engine renews while the
flow runs. The deployment's limit is the global limit named `deployment:{deployment_id}`
that `Deployment.concurrency_limit_id` points at; `concurrency_options` holds its collision
strategy and grace period. A holder that dies stops renewing, and the lease expiry sweep
gives its slot back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import bindparam, select

from models.concurrency.tables import ConcurrencyLimit
from models.concurrency.writer_leases import (
    release_leased_slots,
    renew_leased_slot,
    take_leased_slot,
)
from models.coordination.deployments import Deployment
from models.orchestration.transitions import Decision, DecisionStatus, DeploymentSlot, State
from models.states import StateType

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: The state types in which a flow run holds its deployment slot.
HOLDING_TYPES: Final = frozenset({StateType.PENDING, StateType.RUNNING, StateType.CANCELLING})
LEASE_KEY: Final = "deployment_concurrency_lease_id"
#: How long a slot is held before anyone renews it, unless the deployment's
#: `concurrency_options.grace_period_seconds` says (Prefect's
#: `server.concurrency.initial_deployment_lease_duration`).
INITIAL_LEASE_SECONDS: Final = 300.0

READ_DEPLOYMENT_LIMIT = (
    select(Deployment.concurrency_limit_id, Deployment.concurrency_options, ConcurrencyLimit.limit)
    .join(ConcurrencyLimit, ConcurrencyLimit.id == Deployment.concurrency_limit_id)
    .where(Deployment.id == bindparam("deployment_id"))
)


@dataclass(frozen=True)
class SlotTry:
    """The proposal as the rules will see it, and what was tried for the deployment slot."""

    proposed: State
    slot: DeploymentSlot | None = None
    #: A lease taken by this transition, to give back if the run does not enter with it.
    taken: UUID | None = None


def lease_of(state: State | None) -> UUID | None:
    """The deployment lease a state says its run holds, if any (and if it reads as one)."""
    value = state.state_details.get(LEASE_KEY) if state is not None else None
    if not value:
        return None
    try:
        return UUID(str(value))
    except ValueError:
        return None


def with_lease(state: State, lease_id: UUID | None) -> State:
    details = {key: value for key, value in state.state_details.items() if key != LEASE_KEY}
    if lease_id is not None:
        details[LEASE_KEY] = str(lease_id)
    return dataclasses.replace(state, state_details=details)


def try_deployment_slot(
    session: Session,
    flow_run: Any,
    current: State | None,
    proposed: State,
    now: datetime,
    *,
    force: bool = False,
    wait_seconds: float = 30.0,
) -> SlotTry:
    """Take a slot for a run going PENDING, or renew it for one going RUNNING.

    Nothing is tried for a forced transition (the rules are skipped), a run without a
    deployment, or a deployment without a limit. A run going RUNNING whose lease has expired
    takes a fresh slot if one is free.
    """
    untouched = SlotTry(proposed)
    if force or flow_run.deployment_id is None:
        return untouched
    held = lease_of(current)
    going_pending = proposed.type is StateType.PENDING and (
        current is None or current.type not in HOLDING_TYPES
    )
    going_running = (
        proposed.type is StateType.RUNNING
        and current is not None
        and current.type is StateType.PENDING
        and held is not None
    )
    # A run rescheduled for a retry in its own process still holds its slot.
    if not (going_pending and held is None) and not going_running:
        return untouched
    row = (
        session.connection()
        .execute(READ_DEPLOYMENT_LIMIT, {"deployment_id": flow_run.deployment_id})
        .one_or_none()
    )
    if row is None:
        return untouched
    options = row.concurrency_options or {}
    strategy = str(options.get("collision_strategy") or "ENQUEUE")
    grace_seconds = options.get("grace_period_seconds") or INITIAL_LEASE_SECONDS
    duration = timedelta(seconds=float(grace_seconds))
    if going_running:
        assert held is not None
        if renew_leased_slot(session, held, duration, now):
            return SlotTry(proposed, DeploymentSlot(limit=row.limit, lease_id=held))
    refused = SlotTry(
        proposed,
        DeploymentSlot(
            limit=row.limit,
            lease_id=None,
            collision_strategy=strategy,
            wait_seconds=wait_seconds,
        ),
    )
    if row.limit == 0:
        return refused
    holder = {"type": "flow_run", "id": str(flow_run.id)}
    lease_id = take_leased_slot(session, row.concurrency_limit_id, duration, now, holder)
    if lease_id is None:
        return refused
    slot = DeploymentSlot(limit=row.limit, lease_id=lease_id, collision_strategy=strategy)
    return SlotTry(with_lease(proposed, lease_id), slot, taken=lease_id)


def settle_deployment_slot(
    session: Session,
    current: State | None,
    decision: Decision,
    entered: State | None,
    tried: SlotTry,
    now: datetime,
) -> State | None:
    """The state the run enters, with its lease carried on, dropped or given back.

    Returns `entered` with `deployment_concurrency_lease_id` set to the lease the run holds
    in it, or without it once the slot is given back; None stays None.
    """
    if tried.taken is not None and (entered is None or lease_of(entered) != tried.taken):
        release_leased_slots(session, tried.taken, now)  # the run did not go where it needed it
    held = lease_of(current)
    if entered is None or held is None or held == tried.taken:
        return entered
    assert current is not None  # it holds a lease
    # A failed run the server reschedules for a retry stays in its process, which goes on
    # renewing the lease through the wait; so does a waiting retry that is marked Late.
    retrying = (
        decision.status is DecisionStatus.REJECT
        and entered.type is StateType.SCHEDULED
        and entered.name == "AwaitingRetry"
    )
    still_scheduled = current.type is StateType.SCHEDULED and entered.type is StateType.SCHEDULED
    if entered.type in HOLDING_TYPES or retrying or still_scheduled:
        return entered if lease_of(entered) is not None else with_lease(entered, held)
    release_leased_slots(session, held, now)
    return with_lease(entered, None)
