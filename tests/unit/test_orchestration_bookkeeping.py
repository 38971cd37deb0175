"""What entering a state changes on a run: run_count, start/end/run time, carried details."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from models.orchestration.bookkeeping import carry_over_details, enter_state
from models.orchestration.flow_run_policy import orchestrate
from models.orchestration.transitions import (
    Decision,
    DecisionStatus,
    RunSnapshot,
    State,
    Transition,
    iso_utc,
)
from models.states import TERMINAL_STATE_TYPES, StateType

T0 = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(type_: StateType, name: str | None = None, *, when: float = 0, **details: Any) -> State:
    return State(
        type=type_, name=name or type_.value.title(), timestamp=at(when), state_details=details
    )


def new_flow_run(**fields: Any) -> RunSnapshot:
    return RunSnapshot(id=uuid4(), kind="flow_run", state=None, **fields)


def apply(run: RunSnapshot, proposed: State) -> tuple[RunSnapshot, Decision]:
    """Orchestrate `proposed` and apply the decision, as the set_state route does."""
    decision = orchestrate(Transition(run=run, proposed=proposed, now=proposed.timestamp))
    entered = decision.entered_state(run)
    if entered is None:
        return run, decision
    changes = enter_state(run, entered)
    run = replace(
        run,
        state=changes.state,
        run_count=changes.run_count,
        start_time=changes.start_time,
        end_time=changes.end_time,
        total_run_time_seconds=changes.total_run_time_seconds,
        empirical_policy=(
            run.empirical_policy if changes.empirical_policy is None else changes.empirical_policy
        ),
    )
    return run, decision


def run_through(run: RunSnapshot, *states: State) -> RunSnapshot:
    for proposed in states:
        run, _ = apply(run, proposed)
    return run


def test_run_count_goes_up_each_time_the_run_enters_running() -> None:
    run = run_through(new_flow_run(), state(StateType.PENDING), state(StateType.RUNNING, when=1))
    assert run.run_count == 1
    run = run_through(run, state(StateType.FAILED, when=2), state(StateType.RUNNING, when=3))
    assert run.run_count == 2


def test_running_to_running_does_not_count_another_run() -> None:
    run = run_through(new_flow_run(), state(StateType.RUNNING), state(StateType.RUNNING, when=1))
    assert run.run_count == 1


def test_start_time_is_set_by_the_first_running_only() -> None:
    run = run_through(
        new_flow_run(),
        state(StateType.PENDING),
        state(StateType.RUNNING, when=1),
        state(StateType.FAILED, when=2),
        state(StateType.RUNNING, when=3),
    )
    assert run.start_time == at(1)


@pytest.mark.parametrize("terminal", sorted(TERMINAL_STATE_TYPES))
def test_end_time_is_set_on_entering_a_terminal_state(terminal: StateType) -> None:
    run = run_through(new_flow_run(), state(StateType.RUNNING), state(terminal, when=4))
    assert run.end_time == at(4)


def test_a_non_terminal_state_leaves_end_time_unset() -> None:
    run = run_through(new_flow_run(), state(StateType.PENDING), state(StateType.RUNNING, when=1))
    assert run.end_time is None


def test_starting_a_finished_run_again_clears_its_end_time() -> None:
    run = run_through(
        new_flow_run(),
        state(StateType.RUNNING),
        state(StateType.COMPLETED, when=1),
        state(StateType.RUNNING, when=2),
    )
    assert run.end_time is None


def test_total_run_time_adds_up_the_attempts_of_a_retried_flow_run() -> None:
    run = new_flow_run(empirical_policy={"retries": 1, "retry_delay": 0})
    run = run_through(run, state(StateType.PENDING), state(StateType.RUNNING, when=1))

    run, decision = apply(run, state(StateType.FAILED, when=11))
    assert decision.status is DecisionStatus.REJECT
    assert run.state is not None and run.state.name == "AwaitingRetry"
    assert run.total_run_time_seconds == 10

    run = run_through(run, state(StateType.RUNNING, when=12))
    run, decision = apply(run, state(StateType.FAILED, when=17))
    assert decision.status is DecisionStatus.ACCEPT  # the one retry is spent
    assert (run.run_count, run.total_run_time_seconds) == (2, 15)
    assert (run.start_time, run.end_time) == (at(1), at(17))


def test_running_to_running_keeps_counting_run_time() -> None:
    run = run_through(
        new_flow_run(),
        state(StateType.RUNNING),
        state(StateType.RUNNING, when=3),
        state(StateType.COMPLETED, when=5),
    )
    assert run.total_run_time_seconds == 5


def test_submitting_keeps_the_scheduled_time_of_the_pending_before_it() -> None:
    scheduled_time = iso_utc(at(10))
    run = run_through(
        new_flow_run(),
        state(StateType.SCHEDULED, scheduled_time=scheduled_time),
        state(StateType.PENDING, when=1),
        state(StateType.PENDING, "Submitting", when=2),
    )
    assert run.state is not None and run.state.state_details["scheduled_time"] == scheduled_time


def test_a_pending_with_its_own_scheduled_time_keeps_it() -> None:
    run = new_flow_run()
    run = replace(run, state=state(StateType.SCHEDULED, scheduled_time=iso_utc(at(10))))
    entered = carry_over_details(run, state(StateType.PENDING, scheduled_time=iso_utc(at(20))))
    assert entered.scheduled_time == at(20)


def test_running_does_not_inherit_the_scheduled_time() -> None:
    run = replace(new_flow_run(), state=state(StateType.PENDING, scheduled_time=iso_utc(T0)))
    assert carry_over_details(run, state(StateType.RUNNING)).scheduled_time is None


def test_the_entered_state_names_its_flow_run_or_task_run() -> None:
    flow = new_flow_run()
    task = RunSnapshot(id=uuid4(), kind="task_run", state=None)
    assert enter_state(flow, state(StateType.PENDING)).state.state_details == {
        "flow_run_id": str(flow.id)
    }
    assert enter_state(task, state(StateType.PENDING)).state.state_details == {
        "task_run_id": str(task.id)
    }


def test_the_row_columns_copy_the_entered_state() -> None:
    run = replace(new_flow_run(), state=state(StateType.PENDING))
    running = state(StateType.RUNNING, when=1)
    columns = enter_state(run, running).columns()
    assert columns == {
        "state_id": running.id,
        "state_type": StateType.RUNNING,
        "state_name": "Running",
        "state_timestamp": at(1),
        "run_count": 1,
        "start_time": at(1),
        "end_time": None,
        "total_run_time_seconds": 0.0,
    }


# Pauses and resumes


def paused(when: float, key: str = "1", **details: Any) -> State:
    return state(StateType.PAUSED, when=when, pause_key=key, **details)


def suspended(when: float, key: str = "1") -> State:
    return state(StateType.PAUSED, "Suspended", when=when, pause_key=key, pause_reschedule=True)


def running_flow_run(**fields: Any) -> RunSnapshot:
    return run_through(new_flow_run(**fields), state(StateType.PENDING), state(StateType.RUNNING))


def test_entering_paused_records_the_pause_key() -> None:
    run = run_through(running_flow_run(), paused(1, "1"))
    assert run.empirical_policy["pause_keys"] == ["1"]


def test_a_pause_without_a_key_gets_one_of_its_own() -> None:
    run = run_through(running_flow_run(), state(StateType.PAUSED, when=1))
    [key] = run.empirical_policy["pause_keys"]
    assert key


def test_a_resumed_blocking_pause_counts_its_running_and_is_marked_resuming() -> None:
    run = run_through(running_flow_run(), paused(1), state(StateType.RUNNING, when=2))
    # As Prefect counts it: the mark is set on leaving PAUSED, after RUNNING was counted.
    assert run.run_count == 2
    assert run.empirical_policy["resuming"] is True
    run = run_through(run, state(StateType.COMPLETED, when=3))
    assert run.empirical_policy["resuming"] is False


def test_a_suspended_run_started_again_is_the_same_attempt() -> None:
    run = run_through(
        running_flow_run(deployment_id=uuid4()),
        suspended(1),
        state(StateType.SCHEDULED, "Resuming", when=2, scheduled_time=iso_utc(at(2))),
        state(StateType.PENDING, when=3),
        state(StateType.RUNNING, when=4),
    )
    assert run.run_count == 1
    assert run.empirical_policy["resuming"] is False
    assert run.empirical_policy["pause_keys"] == ["1"]  # the suspension is not met again


def test_a_blocking_pause_rescheduled_starts_a_new_attempt_that_meets_its_pauses_again() -> None:
    run = run_through(
        running_flow_run(),
        paused(1),
        state(StateType.SCHEDULED, when=2, scheduled_time=iso_utc(at(2))),
    )
    assert run.empirical_policy["pause_keys"] == []
    assert run.empirical_policy["retry_type"] == "reschedule"
    assert run.empirical_policy["resuming"] is False


def test_task_runs_keep_their_policy_through_a_pause() -> None:
    task_run = RunSnapshot(id=uuid4(), kind="task_run", state=state(StateType.RUNNING))
    assert enter_state(task_run, paused(1)).empirical_policy is None
