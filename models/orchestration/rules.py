"""Orchestration rules: each one looks at some transitions and may decide about them.

A rule names the current state types it looks at (`from_states`; None stands for "the run
has no state yet") and the proposed state types (`to_states`). `decide()` returns a
`Decision`, or None to let the next rule of the orchestration policy speak. Rules are
pure: they read the transition and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar, Final

from models.orchestration.transitions import Decision, State, Transition, iso_utc, parse_utc
from models.states import TERMINAL_STATE_TYPES, StateType

#: Every state type a run can be in; add None to also match a run with no state yet.
ALL_STATE_TYPES: Final[frozenset[StateType | None]] = frozenset(StateType)


class Rule:
    """One check on a transition; the base every orchestration rule derives from."""

    from_states: ClassVar[frozenset[StateType | None]] = frozenset()
    to_states: ClassVar[frozenset[StateType]] = frozenset()

    def applies_to(self, transition: Transition) -> bool:
        return (
            transition.initial_type in self.from_states
            and transition.proposed.type in self.to_states
        )

    def decide(self, transition: Transition) -> Decision | None:
        raise NotImplementedError


def first_decision(transition: Transition, rules: Sequence[Rule]) -> Decision:
    """The decision of the first rule that speaks; the proposed state if none does.

    A forced transition skips every rule, as in Prefect: the client (a Prefect worker
    reporting CANCELLED, an engine reporting CRASHED) knows better than the server.
    """
    if not transition.force:
        for rule in rules:
            if not rule.applies_to(transition):
                continue
            if (decision := rule.decide(transition)) is not None:
                return decision
    return Decision.accept(transition.proposed)


class PreventRepeatedTransitions(Rule):
    """A set_state the run already made is answered with the state it made.

    The Prefect client puts a fresh `transition_id` in every proposal and retries a request
    whose answer it lost (read errors, 502/503). Without this rule the retry of an accepted
    PENDING would be aborted as a duplicate submission of the client's own run.
    """

    from_states = ALL_STATE_TYPES
    to_states = frozenset(StateType)

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        repeated = transition.proposed.state_details.get("transition_id")
        if current is None or repeated is None:
            return None
        if current.state_details.get("transition_id") != repeated:
            return None
        return Decision.reject(current, "This run has already made this state transition.")


class PreventDuplicateSubmission(Rule):
    """Two Prefect workers (or runners) can race to submit one run; the later PENDING aborts.

    A run that is already PENDING or RUNNING has been picked up; a CANCELLING or CANCELLED
    one must not start. The worker treats ABORT as "Aborted submission" and skips the run.
    Runners and workers propose "Pending" and then a PENDING named "Submitting": a new,
    non-"Pending" name is the same submitter moving on, and is accepted.
    """

    from_states = frozenset(
        {StateType.PENDING, StateType.RUNNING, StateType.CANCELLING, StateType.CANCELLED}
    )
    to_states = frozenset({StateType.PENDING})

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        assert current is not None  # from_states holds no None
        proposed = transition.proposed
        if (
            current.type is StateType.PENDING
            and proposed.name != current.name
            and proposed.name != "Pending"
        ):
            return None
        return Decision.abort(
            f"This run is in a {current.type} state and cannot transition to a PENDING state.",
            current,
        )


class KeepFinishedFlowRunsFinished(Rule):
    """A finished flow run cannot be cancelled, paused or crashed, nor lose its result.

    `prefect flow-run cancel` on a COMPLETED run must be refused (the CLI prints the reason
    and exits 1), not move it to CANCELLING where no worker would ever stop anything. A
    COMPLETED run whose result is persisted keeps it: going back to a non-final state, or to
    a COMPLETED without a persisted result, is rejected. A run without a deployment cannot be
    scheduled again: no Prefect worker would pick it up.
    """

    from_states = frozenset(TERMINAL_STATE_TYPES)
    to_states = frozenset(StateType)

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        assert current is not None  # from_states holds no None
        proposed = transition.proposed
        if proposed.type in (StateType.CANCELLING, StateType.PAUSED, StateType.CRASHED):
            return Decision.abort(f"Run is already in terminal state {current.type}.", current)
        if current.type is StateType.COMPLETED and has_persisted_result(current.data):
            if proposed.type not in TERMINAL_STATE_TYPES:
                return Decision.reject(current, "Run is already COMPLETED.")
            if proposed.type is StateType.COMPLETED and not has_persisted_result(proposed.data):
                return Decision.reject(
                    current,
                    "Cannot overwrite a COMPLETED state that carries persisted result data "
                    "with one that does not.",
                )
        if proposed.type is StateType.SCHEDULED and transition.run.deployment_id is None:
            return Decision.abort(
                "Cannot reschedule a run without an associated deployment.", current
            )
        return None


def has_persisted_result(data: Any) -> bool:
    """Whether a state's `data` is the record of a result the client persisted."""
    return isinstance(data, dict) and data.get("type") != "unpersisted"


class KeepCancellingUntilCancelled(Rule):
    """A CANCELLING run may only become CANCELLED; any other proposal keeps it CANCELLING.

    Cancelling a run that is still starting up races with its engine: if the engine's
    RUNNING (or a late COMPLETED) replaced CANCELLING, the Prefect worker polling for
    CANCELLING runs would never find it and the cancellation would be lost. Answered with
    the current state, the engine sees it is cancelling and does not run the flow.
    """

    from_states = frozenset({StateType.CANCELLING})
    # CANCELLING -> CANCELLING stays accepted: cancelling twice is harmless.
    to_states = frozenset(StateType) - {StateType.CANCELLED, StateType.CANCELLING}

    def decide(self, transition: Transition) -> Decision | None:
        return Decision.reject(
            transition.run.state,
            "Cannot transition flows that are cancelling to a state other than Cancelled.",
        )


class CancelRunsWithNothingToStop(Rule):
    """CANCELLING a run that no process runs yet is rejected into CANCELLED at once.

    CANCELLING asks a Prefect worker or runner to stop the run's process; a SCHEDULED run
    without one (or one "Resuming" after a suspension), or a PAUSED run that was suspended
    (its process has exited), has none, and nothing would ever move it on to CANCELLED.
    A SCHEDULED run with an infrastructure pid ("AwaitingRetry" in a live process) has one.
    """

    from_states = frozenset({StateType.SCHEDULED, StateType.PAUSED})
    to_states = frozenset({StateType.CANCELLING})

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        assert current is not None  # from_states holds no None
        if current.type is StateType.SCHEDULED and (
            not transition.run.infrastructure_pid or current.name == "Resuming"
        ):
            reason = "Scheduled flow run has no infrastructure to terminate."
        elif current.type is StateType.PAUSED and current.state_details.get("pause_reschedule"):
            reason = "Suspended flow run has no infrastructure to terminate."
        else:
            return None
        cancelled = State(
            type=StateType.CANCELLED,
            name="Cancelled",
            timestamp=transition.now,
            message=transition.proposed.message,
        )
        return Decision.reject(cancelled, reason)


def pause_verb(state: State) -> str:
    """How Prefect words a pause in its reasons: a "Suspended" PAUSED is a suspension."""
    return "suspend" if state.name == "Suspended" else "pause"


class PauseOnlyRunningFlowRuns(Rule):
    """A flow run pauses only from RUNNING, once per pause key, and suspends only if it can
    be started again.

    The engine numbers its pauses (`pause_key` "1", "2", ...): a rescheduled run that
    starts over meets its earlier pauses again, and the rejection (the run stays RUNNING)
    tells it that pause already fired. A suspension (`pause_reschedule`) ends the process,
    so only a deployment's Prefect worker can start the run again: without a deployment,
    or in a subflow, nothing would ever resume it.
    """

    from_states = ALL_STATE_TYPES | {None}
    to_states = frozenset({StateType.PAUSED})

    def decide(self, transition: Transition) -> Decision | None:
        current, proposed, run = transition.run.state, transition.proposed, transition.run
        verb = pause_verb(proposed)
        if current is None:
            return Decision.abort(f"Cannot {verb} flows with no state.", None)
        if current.type is not StateType.RUNNING:
            return Decision.reject(current, f"Cannot {verb} flows that are not currently running.")
        if proposed.state_details.get("pause_key") in run.empirical_policy.get("pause_keys", ()):
            return Decision.reject(current, f"This {verb} has already fired.")
        if proposed.state_details.get("pause_reschedule"):
            if run.parent_task_run_id is not None:
                return Decision.abort(f"Cannot {verb} subflows.", current)
            if run.deployment_id is None:
                return Decision.abort(f"Cannot {verb} flows without a deployment.", current)
        return None


class ResumePausedFlowRuns(Rule):
    """A PAUSED flow run leaves only to run, be rescheduled, be cancelled or finish, and not
    once its pause has timed out.

    A blocking pause's process polls for RUNNING until `pause_timeout`; after that the
    process has given up (`FlowPauseTimeout`), so a late resume is rejected into FAILED
    instead of starting a run nobody executes. A suspended run restarts from SCHEDULED
    through its deployment, which it must still have. CANCELLING passes whatever the
    timeout: the process of a blocking pause is alive and must hear about it.
    """

    from_states = frozenset({StateType.PAUSED})
    to_states = frozenset(StateType)

    def decide(self, transition: Transition) -> Decision | None:
        current, proposed = transition.run.state, transition.proposed
        assert current is not None  # from_states holds no None
        if proposed.type in (StateType.PENDING, StateType.PAUSED):
            return Decision.reject(
                current,
                f"This run cannot transition to the {proposed.type} state"
                f" from the {current.type} state.",
            )
        shown_name = proposed.name.lower() if proposed.name else proposed.type.value.lower()
        if current.state_details.get("pause_reschedule") and transition.run.deployment_id is None:
            return Decision.reject(
                current, f"Cannot reschedule a {shown_name} flow run without a deployment."
            )
        if proposed.type is StateType.CANCELLING:
            return None
        timeout = parse_utc(current.state_details.get("pause_timeout"))
        if timeout is None or timeout >= transition.now:
            return None
        never_resumed = State(
            type=StateType.FAILED,
            name="Failed",
            timestamp=transition.now,
            message=f"The flow was {shown_name} and never resumed.",
        )
        verb = pause_verb(proposed)
        return Decision.reject(
            never_resumed, f"The flow run {verb} has timed out and can no longer resume."
        )


class WaitForScheduledTime(Rule):
    """A run may not start RUNNING before its scheduled time; the client is told to wait.

    Flow retries depend on it: the engine proposes RUNNING right after the AwaitingRetry
    rejection, and only this WAIT makes it sleep the retry delay. Prefect workers also pick
    runs up to 10 s early, and their RUNNING waits here until the scheduled time.
    """

    from_states = frozenset({StateType.SCHEDULED, StateType.PENDING})
    to_states = frozenset({StateType.RUNNING})

    def decide(self, transition: Transition) -> Decision | None:
        current = transition.run.state
        assert current is not None  # from_states holds no None
        if (scheduled_time := current.scheduled_time) is None:
            return None
        # Whole seconds, as Prefect answers: a start due within half a second goes ahead.
        delay_seconds = round((scheduled_time - transition.now).total_seconds())
        if delay_seconds <= 0:
            return None
        return Decision.wait(delay_seconds, "Scheduled time is in the future", current)


class RetryFailedFlowRuns(Rule):
    """A FAILED flow run with retries left is rejected into a SCHEDULED "AwaitingRetry".

    Flow retries are server-side: `@flow(retries=n)` only sends `empirical_policy.retries`
    and proposes FAILED; the engine then proposes RUNNING again on its own. `run_count`
    counts entries into RUNNING, so the first failure has run_count 1. Unlike task runs,
    `state_details.retriable` is ignored: the client sends false even for retried flows.
    """

    from_states = frozenset({StateType.RUNNING})
    to_states = frozenset({StateType.FAILED})

    def decide(self, transition: Transition) -> Decision | None:
        policy = transition.run.empirical_policy
        # `max_retries` is the field older clients send instead of `retries`.
        retries = policy.get("retries") or policy.get("max_retries") or 0
        run_count = transition.run.run_count
        if retries < 1 or run_count > retries:
            return None
        delay = retry_delay_seconds(policy.get("retry_delay"), run_count)
        proposed = transition.proposed
        awaiting_retry = State(
            type=StateType.SCHEDULED,
            name="AwaitingRetry",
            timestamp=transition.now,
            # Prefect keeps the failure's message and result record on the retry state.
            message=proposed.message,
            data=proposed.data,
            state_details={
                "scheduled_time": iso_utc(transition.now + timedelta(seconds=delay)),
            },
        )
        return Decision.reject(awaiting_retry, "Retrying")


def retry_delay_seconds(retry_delay: Any, run_count: int) -> float:
    """Seconds to wait before the retry that follows attempt `run_count` (1 for the first).

    `retry_delay` is None, a number, or a list of per-retry delays whose last entry
    repeats once the list runs out.
    """
    if not retry_delay:
        return 0.0
    if isinstance(retry_delay, list):
        return float(retry_delay[min(max(run_count, 1), len(retry_delay)) - 1])
    return float(retry_delay)
