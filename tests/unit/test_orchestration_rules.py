"""Flow-run and task-run orchestration policies: each rule, each edge, in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from models.orchestration import flow_run_policy, task_run_policy
from models.orchestration.rules import retry_delay_seconds
from models.orchestration.transitions import (
    Decision,
    DecisionStatus,
    DeploymentSlot,
    RunSnapshot,
    State,
    Transition,
    iso_utc,
)
from models.states import TERMINAL_STATE_TYPES, StateType

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
RESULT_RECORD = {"storage_key": "~/.prefect/storage/abc", "serializer": {"type": "pickle"}}


def state(type_: StateType, name: str | None = None, at: datetime = NOW, **details: Any) -> State:
    return State(type=type_, name=name or type_.value.title(), timestamp=at, state_details=details)


def flow_run(current: State | None, **fields: Any) -> RunSnapshot:
    return RunSnapshot(id=uuid4(), kind="flow_run", state=current, **fields)


def propose(
    current: State | None, proposed: State, *, force: bool = False, **fields: Any
) -> Decision:
    transition = Transition(
        run=flow_run(current, **fields), proposed=proposed, force=force, now=NOW
    )
    return flow_run_policy.orchestrate(transition)


# Duplicate submission


def test_a_first_pending_on_a_scheduled_run_is_accepted() -> None:
    proposed = state(StateType.PENDING)
    decision = propose(state(StateType.SCHEDULED), proposed)
    assert decision == Decision(DecisionStatus.ACCEPT, proposed, {"type": "accept_details"})


def test_submitting_after_pending_is_accepted() -> None:
    decision = propose(state(StateType.PENDING), state(StateType.PENDING, "Submitting"))
    assert decision.status is DecisionStatus.ACCEPT


def test_a_second_pending_from_another_worker_is_aborted_with_the_current_state() -> None:
    current = state(StateType.PENDING)
    decision = propose(current, state(StateType.PENDING))
    assert decision.status is DecisionStatus.ABORT
    assert decision.state == current
    assert decision.details == {
        "type": "abort_details",
        "reason": "This run is in a PENDING state and cannot transition to a PENDING state.",
    }


def test_pending_after_submitting_is_aborted_because_its_name_is_pending() -> None:
    decision = propose(state(StateType.PENDING, "Submitting"), state(StateType.PENDING))
    assert decision.status is DecisionStatus.ABORT


def test_submitting_twice_is_aborted_because_the_name_does_not_change() -> None:
    submitting = state(StateType.PENDING, "Submitting")
    decision = propose(submitting, state(StateType.PENDING, "Submitting"))
    assert decision.status is DecisionStatus.ABORT


@pytest.mark.parametrize("current", [StateType.RUNNING, StateType.CANCELLING, StateType.CANCELLED])
def test_pending_is_aborted_once_the_run_has_started_or_is_being_cancelled(
    current: StateType,
) -> None:
    for name in ("Pending", "Submitting"):
        decision = propose(state(current), state(StateType.PENDING, name))
        assert decision.status is DecisionStatus.ABORT
        assert decision.entered_state(flow_run(state(current))) is None


# Flow retries


def test_a_failed_flow_run_with_a_retry_left_is_rejected_into_awaiting_retry() -> None:
    failed = State(
        type=StateType.FAILED,
        name="Failed",
        timestamp=NOW,
        message="Flow run encountered an exception: ValueError: first attempt fails",
        state_details={"retriable": False},  # the client sends false for retried flows too
        data=RESULT_RECORD,
    )
    decision = propose(
        state(StateType.RUNNING),
        failed,
        run_count=1,
        empirical_policy={"retries": 1, "retry_delay": 0},
    )
    assert decision.status is DecisionStatus.REJECT
    assert decision.details == {"type": "reject_details", "reason": "Retrying"}
    retry = decision.state
    assert retry is not None
    assert (retry.type, retry.name) == (StateType.SCHEDULED, "AwaitingRetry")
    assert retry.scheduled_time == NOW
    assert retry.state_details["scheduled_time"] == iso_utc(NOW)
    assert (retry.message, retry.data) == (failed.message, RESULT_RECORD)


def test_the_retry_is_scheduled_after_the_retry_delay() -> None:
    decision = propose(
        state(StateType.RUNNING),
        state(StateType.FAILED),
        run_count=1,
        empirical_policy={"retries": 3, "retry_delay": 30},
    )
    assert decision.state is not None
    assert decision.state.scheduled_time == NOW + timedelta(seconds=30)


def test_a_list_of_retry_delays_gives_each_retry_its_own_delay() -> None:
    decision = propose(
        state(StateType.RUNNING),
        state(StateType.FAILED),
        run_count=2,
        empirical_policy={"retries": 3, "retry_delay": [5, 60]},
    )
    assert decision.state is not None
    assert decision.state.scheduled_time == NOW + timedelta(seconds=60)


@pytest.mark.parametrize(
    ("retry_delay", "run_count", "seconds"),
    [(None, 1, 0.0), (7, 2, 7.0), (2.5, 1, 2.5), ([1, 2, 3], 1, 1.0), ([1, 2], 5, 2.0)],
)
def test_the_retry_delay_is_picked_for_the_attempt_that_failed(
    retry_delay: Any, run_count: int, seconds: float
) -> None:
    assert retry_delay_seconds(retry_delay, run_count) == seconds


def test_no_retry_once_run_count_exceeds_retries() -> None:
    proposed = state(StateType.FAILED)
    decision = propose(
        state(StateType.RUNNING), proposed, run_count=2, empirical_policy={"retries": 1}
    )
    assert decision == Decision.accept(proposed)


@pytest.mark.parametrize("policy", [{}, {"retries": None}, {"retries": 0}])
def test_a_flow_run_without_retries_fails_at_once(policy: dict[str, Any]) -> None:
    decision = propose(
        state(StateType.RUNNING), state(StateType.FAILED), run_count=1, empirical_policy=policy
    )
    assert decision.status is DecisionStatus.ACCEPT


def test_max_retries_from_older_clients_counts_as_retries() -> None:
    decision = propose(
        state(StateType.RUNNING),
        state(StateType.FAILED),
        run_count=1,
        empirical_policy={"retries": None, "max_retries": 2},
    )
    assert decision.status is DecisionStatus.REJECT


# Forced transitions and cancellation


def test_a_forced_transition_is_accepted_whatever_the_rules_say() -> None:
    proposed = state(StateType.PENDING)
    assert propose(state(StateType.RUNNING), proposed, force=True) == Decision.accept(proposed)


def test_a_forced_failure_is_not_retried() -> None:
    decision = propose(
        state(StateType.RUNNING),
        state(StateType.FAILED),
        force=True,
        run_count=1,
        empirical_policy={"retries": 1},
    )
    assert decision.status is DecisionStatus.ACCEPT


@pytest.mark.parametrize(
    "current", [None, *(set(StateType) - {StateType.SCHEDULED} - TERMINAL_STATE_TYPES)]
)
def test_cancelling_is_accepted_from_any_unfinished_state_but_scheduled(
    current: StateType | None,
) -> None:
    proposed = state(StateType.CANCELLING)
    decision = propose(state(current) if current else None, proposed)
    assert decision == Decision.accept(proposed)


@pytest.mark.parametrize(
    ("current", "pid"),
    [
        (state(StateType.SCHEDULED), None),
        (state(StateType.SCHEDULED, "Resuming"), "4242"),
        (state(StateType.PAUSED, "Suspended", pause_reschedule=True), "4242"),
    ],
)
def test_cancelling_a_run_with_no_process_to_stop_cancels_it_at_once(
    current: State, pid: str | None
) -> None:
    decision = propose(current, state(StateType.CANCELLING), infrastructure_pid=pid)
    assert decision.status is DecisionStatus.REJECT
    assert decision.state is not None
    assert (decision.state.type, decision.state.name) == (StateType.CANCELLED, "Cancelled")
    assert decision.entered_state(flow_run(current)) == decision.state


def test_cancelling_a_scheduled_run_in_a_live_process_waits_for_that_process() -> None:
    proposed = state(StateType.CANCELLING)
    decision = propose(
        state(StateType.SCHEDULED, "AwaitingRetry"), proposed, infrastructure_pid="7"
    )
    assert decision == Decision.accept(proposed)


def test_a_cancelling_run_stays_cancelling_when_its_engine_proposes_running() -> None:
    cancelling = state(StateType.CANCELLING)
    decision = propose(cancelling, state(StateType.RUNNING))
    assert decision.status is DecisionStatus.REJECT
    assert decision.state == cancelling
    assert decision.entered_state(flow_run(cancelling)) is None


def test_a_cancelling_run_can_become_cancelled() -> None:
    proposed = state(StateType.CANCELLED)
    assert propose(state(StateType.CANCELLING), proposed) == Decision.accept(proposed)


# Repeated requests and scheduled times


def test_a_repeated_transition_is_answered_with_the_state_it_made() -> None:
    current = state(StateType.PENDING, transition_id="t-1")
    run = flow_run(current)
    proposed = state(StateType.PENDING, transition_id="t-1")
    decision = flow_run_policy.orchestrate(Transition(run=run, proposed=proposed, now=NOW))
    assert decision.status is DecisionStatus.REJECT
    assert decision.state == current
    assert decision.entered_state(run) is None


def test_a_new_transition_id_is_not_taken_for_a_repeat() -> None:
    current = state(StateType.RUNNING, transition_id="t-1")
    proposed = state(StateType.COMPLETED, transition_id="t-2")
    assert propose(current, proposed) == Decision.accept(proposed)


def test_running_waits_until_the_scheduled_time() -> None:
    awaiting = state(
        StateType.SCHEDULED, "AwaitingRetry", scheduled_time=iso_utc(NOW + timedelta(seconds=30))
    )
    decision = propose(awaiting, state(StateType.RUNNING))
    assert decision == Decision(
        DecisionStatus.WAIT,
        awaiting,
        {
            "type": "wait_details",
            "delay_seconds": 30.0,
            "reason": "Scheduled time is in the future",
        },
    )


def test_running_goes_ahead_once_the_scheduled_time_has_passed() -> None:
    pending = state(StateType.PENDING, scheduled_time=iso_utc(NOW - timedelta(seconds=1)))
    assert propose(pending, state(StateType.RUNNING)).status is DecisionStatus.ACCEPT


# Task runs


def test_the_task_run_policy_leaves_task_retries_to_the_client() -> None:
    run = RunSnapshot(
        id=uuid4(),
        kind="task_run",
        state=state(StateType.RUNNING),
        run_count=1,
        empirical_policy={"retries": 3},
    )
    proposed = state(StateType.FAILED)
    decision = task_run_policy.orchestrate(Transition(run=run, proposed=proposed, now=NOW))
    assert decision == Decision.accept(proposed)


def test_the_task_run_policy_answers_a_repeated_transition_with_the_current_state() -> None:
    current = state(StateType.RUNNING, transition_id="t-1")
    run = RunSnapshot(id=uuid4(), kind="task_run", state=current)
    proposed = state(StateType.RUNNING, transition_id="t-1")
    decision = task_run_policy.orchestrate(Transition(run=run, proposed=proposed, now=NOW))
    assert (decision.status, decision.state) == (DecisionStatus.REJECT, current)


# Pausing and resuming


def pause(name: str = "Paused", key: str = "1", **details: Any) -> State:
    return state(StateType.PAUSED, name, pause_key=key, **details)


def suspend(key: str = "1") -> State:
    return pause("Suspended", key, pause_reschedule=True)


def test_a_running_flow_run_may_pause() -> None:
    proposed = pause()
    assert propose(state(StateType.RUNNING), proposed) == Decision.accept(proposed)


def test_a_run_without_a_state_cannot_pause() -> None:
    decision = propose(None, pause())
    assert decision.status is DecisionStatus.ABORT
    assert decision.details["reason"] == "Cannot pause flows with no state."


@pytest.mark.parametrize("current", [StateType.PENDING, StateType.SCHEDULED, StateType.PAUSED])
def test_a_run_that_is_not_running_stays_where_it_is_when_it_tries_to_pause(
    current: StateType,
) -> None:
    before = state(current)
    decision = propose(before, pause())
    assert decision == Decision.reject(before, "Cannot pause flows that are not currently running.")


def test_a_pause_that_already_fired_is_rejected_and_the_run_keeps_running() -> None:
    running = state(StateType.RUNNING)
    decision = propose(running, pause(key="2"), empirical_policy={"pause_keys": ["1", "2"]})
    assert decision == Decision.reject(running, "This pause has already fired.")


def test_a_suspension_that_already_fired_says_suspend() -> None:
    decision = propose(state(StateType.RUNNING), suspend(), empirical_policy={"pause_keys": ["1"]})
    assert decision.details["reason"] == "This suspend has already fired."


def test_a_flow_run_without_a_deployment_cannot_be_suspended() -> None:
    decision = propose(state(StateType.RUNNING), suspend())
    assert decision.status is DecisionStatus.ABORT
    assert decision.details["reason"] == "Cannot suspend flows without a deployment."


def test_a_subflow_cannot_be_suspended() -> None:
    decision = propose(
        state(StateType.RUNNING), suspend(), deployment_id=uuid4(), parent_task_run_id=uuid4()
    )
    assert decision.details == {"type": "abort_details", "reason": "Cannot suspend subflows."}


def test_a_flow_run_of_a_deployment_may_be_suspended() -> None:
    proposed = suspend()
    decision = propose(state(StateType.RUNNING), proposed, deployment_id=uuid4())
    assert decision == Decision.accept(proposed)


def test_a_blocking_pause_needs_no_deployment() -> None:
    decision = propose(state(StateType.RUNNING), pause(pause_reschedule=False))
    assert decision.status is DecisionStatus.ACCEPT


@pytest.mark.parametrize(
    "proposed", [StateType.RUNNING, StateType.SCHEDULED, StateType.COMPLETED, StateType.FAILED]
)
def test_a_paused_run_may_resume_reschedule_or_finish(proposed: StateType) -> None:
    decision = propose(pause(pause_timeout=iso_utc(NOW + timedelta(minutes=1))), state(proposed))
    assert decision.status is DecisionStatus.ACCEPT


def test_a_paused_run_cannot_go_back_to_pending() -> None:
    current = pause()
    decision = propose(current, state(StateType.PENDING))
    assert decision == Decision.reject(
        current, "This run cannot transition to the PENDING state from the PAUSED state."
    )


def test_resuming_after_the_pause_timed_out_fails_the_run() -> None:
    current = pause(pause_timeout=iso_utc(NOW - timedelta(seconds=1)))
    decision = propose(current, state(StateType.RUNNING))
    assert decision.status is DecisionStatus.REJECT
    assert (
        decision.details["reason"] == "The flow run pause has timed out and can no longer resume."
    )
    assert decision.state is not None
    assert (decision.state.type, decision.state.message) == (
        StateType.FAILED,
        "The flow was running and never resumed.",
    )


def test_a_paused_run_past_its_timeout_can_still_be_cancelled() -> None:
    current = pause(pause_timeout=iso_utc(NOW - timedelta(seconds=1)))
    decision = propose(current, state(StateType.CANCELLING))
    assert decision.status is DecisionStatus.ACCEPT


def test_a_suspended_run_whose_deployment_is_gone_cannot_be_rescheduled() -> None:
    current = suspend()
    decision = propose(current, state(StateType.SCHEDULED, "Resuming"))
    assert decision == Decision.reject(
        current, "Cannot reschedule a resuming flow run without a deployment."
    )


def test_a_suspended_run_of_a_deployment_is_rescheduled() -> None:
    decision = propose(suspend(), state(StateType.SCHEDULED, "Resuming"), deployment_id=uuid4())
    assert decision.status is DecisionStatus.ACCEPT


def test_cancelling_a_suspended_run_cancels_it_at_once() -> None:
    decision = propose(suspend(), state(StateType.CANCELLING), deployment_id=uuid4())
    assert decision.status is DecisionStatus.REJECT
    assert decision.state is not None and decision.state.type is StateType.CANCELLED


# Finished runs


@pytest.mark.parametrize("finished", sorted(TERMINAL_STATE_TYPES))
@pytest.mark.parametrize("proposed", [StateType.CANCELLING, StateType.PAUSED, StateType.CRASHED])
def test_a_finished_run_cannot_be_cancelled_paused_or_crashed(
    finished: StateType, proposed: StateType
) -> None:
    current = state(finished)
    decision = propose(current, state(proposed))
    assert decision == Decision.abort(f"Run is already in terminal state {finished}.", current)


def test_a_completed_run_keeps_its_persisted_result() -> None:
    completed = State(type=StateType.COMPLETED, name="Completed", timestamp=NOW,
                      data=RESULT_RECORD)  # fmt: skip
    back = propose(completed, state(StateType.RUNNING))
    assert (back.status, back.state) == (DecisionStatus.REJECT, completed)
    overwrite = propose(completed, state(StateType.COMPLETED))
    assert (overwrite.status, overwrite.state) == (DecisionStatus.REJECT, completed)
    unpersisted = State(type=StateType.COMPLETED, name="Completed", timestamp=NOW,
                        data={"type": "unpersisted"})  # fmt: skip
    assert propose(unpersisted, state(StateType.RUNNING)).status is DecisionStatus.ACCEPT


def test_a_finished_run_without_a_deployment_cannot_be_scheduled_again() -> None:
    failed = state(StateType.FAILED)
    assert propose(failed, state(StateType.SCHEDULED)).status is DecisionStatus.ABORT
    again = propose(failed, state(StateType.SCHEDULED), deployment_id=uuid4())
    assert again.status is DecisionStatus.ACCEPT


# Deployment concurrency (the slot is tried by the caller; the rules read the outcome)


def slot(lease: bool, limit: int = 1, strategy: str = "ENQUEUE") -> DeploymentSlot:
    return DeploymentSlot(
        limit=limit, lease_id=uuid4() if lease else None, collision_strategy=strategy
    )


def test_a_run_that_got_its_deployment_slot_goes_pending() -> None:
    proposed = state(StateType.PENDING)
    decision = propose(state(StateType.SCHEDULED), proposed, deployment_slot=slot(True))
    assert decision.status is DecisionStatus.ACCEPT


def test_a_run_without_a_slot_waits_in_awaiting_concurrency_slot_when_enqueued() -> None:
    decision = propose(
        state(StateType.SCHEDULED), state(StateType.PENDING), deployment_slot=slot(False)
    )
    assert decision.status is DecisionStatus.REJECT
    assert decision.state is not None
    assert (decision.state.type, decision.state.name) == (
        StateType.SCHEDULED,
        "AwaitingConcurrencySlot",
    )
    assert decision.state.scheduled_time == NOW + timedelta(seconds=30)
    assert decision.details["reason"] == "Deployment concurrency limit reached."


def test_a_run_without_a_slot_is_cancelled_under_cancel_new() -> None:
    decision = propose(
        None, state(StateType.PENDING), deployment_slot=slot(False, strategy="CANCEL_NEW")
    )
    assert decision.status is DecisionStatus.REJECT
    assert decision.state is not None and decision.state.type is StateType.CANCELLED
    assert decision.state.message == "Deployment concurrency limit reached."


def test_a_deployment_limit_of_zero_aborts_rather_than_waiting_forever() -> None:
    decision = propose(
        state(StateType.SCHEDULED), state(StateType.PENDING), deployment_slot=slot(False, 0)
    )
    assert decision.status is DecisionStatus.ABORT


def test_a_pending_run_that_lost_its_slot_is_cancelled_at_running() -> None:
    decision = propose(
        state(StateType.PENDING), state(StateType.RUNNING), deployment_slot=slot(False)
    )
    assert decision.status is DecisionStatus.REJECT
    assert decision.state is not None and decision.state.type is StateType.CANCELLED
    kept = propose(state(StateType.PENDING), state(StateType.RUNNING), deployment_slot=slot(True))
    assert kept.status is DecisionStatus.ACCEPT


def test_a_paused_run_is_not_let_pending_even_with_a_slot() -> None:
    current = state(StateType.PAUSED)
    decision = propose(current, state(StateType.PENDING), deployment_slot=slot(True))
    assert decision.status is DecisionStatus.REJECT and decision.state == current
