"""Deployment concurrency: the rules that hold a flow run to its deployment's limit.

A deployment with a concurrency limit lets that many of its flow runs be PENDING, RUNNING or
CANCELLING at once. The slot is taken when a run goes PENDING (so a Prefect worker learns
before it starts any infrastructure) and checked again when it goes RUNNING. The caller
tries for the slot before asking the rules and puts the outcome in the run snapshot
(`RunSnapshot.deployment_slot`); these rules only read it, like every other rule.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from models.orchestration.rules import ALL_STATE_TYPES, Rule
from models.orchestration.transitions import Decision, State, Transition, iso_utc
from models.states import StateType

#: The reason given, and the message of the CANCELLED state of CANCEL_NEW, as Prefect's.
LIMIT_REACHED: Final = "Deployment concurrency limit reached."


class SecureDeploymentConcurrencySlot(Rule):
    """A flow run of a limited deployment goes PENDING only with a slot.

    Without one, the deployment's collision strategy decides: ENQUEUE sends the run back to
    SCHEDULED, named "AwaitingConcurrencySlot", to be offered again a little later;
    CANCEL_NEW cancels it. A limit of 0 would hold every run forever, so it aborts.
    """

    from_states = (ALL_STATE_TYPES | {None}) - {
        StateType.PENDING,
        StateType.RUNNING,
        StateType.CANCELLING,
    }
    to_states = frozenset({StateType.PENDING})

    def decide(self, transition: Transition) -> Decision | None:
        slot = transition.run.deployment_slot
        if slot is None or slot.lease_id is not None:
            return None
        if slot.limit == 0:
            return Decision.abort(
                "The deployment concurrency limit is 0. The flow will deadlock if submitted again.",
                transition.run.state,
            )
        if slot.collision_strategy == "CANCEL_NEW":
            cancelled = State(
                type=StateType.CANCELLED,
                name="Cancelled",
                timestamp=transition.now,
                message=LIMIT_REACHED,
            )
            return Decision.reject(cancelled, LIMIT_REACHED)
        awaiting = State(
            type=StateType.SCHEDULED,
            name="AwaitingConcurrencySlot",
            timestamp=transition.now,
            state_details={
                "scheduled_time": iso_utc(transition.now + timedelta(seconds=slot.wait_seconds))
            },
        )
        return Decision.reject(awaiting, LIMIT_REACHED)


class KeepDeploymentSlotAtRunning(Rule):
    """A PENDING run whose slot was taken back (its lease expired) runs only if one is free.

    The caller renews the lease when the run goes RUNNING, or takes a fresh slot when the
    expiry sweep already gave the old one back. With none free the run is cancelled: its
    infrastructure is up, so it cannot simply wait in SCHEDULED.
    """

    from_states = frozenset({StateType.PENDING})
    to_states = frozenset({StateType.RUNNING})

    def decide(self, transition: Transition) -> Decision | None:
        slot = transition.run.deployment_slot
        if slot is None or slot.lease_id is not None:
            return None
        cancelled = State(
            type=StateType.CANCELLED,
            name="Cancelled",
            timestamp=transition.now,
            message="Deployment concurrency slot lost during provisioning - no slots available"
            " to continue execution",
        )
        reason = "Deployment concurrency limit reached after lease expiry."
        return Decision.reject(cancelled, reason)
