"""What entering a state changes on its run: counters, times, and the state's own details.

Called for every state a run enters (an ACCEPT, a REJECT into a new state, a forced
transition, the state a run is created with), never for WAIT or ABORT. Pure: the caller
writes the returned values in the same transaction as the history row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final
from uuid import uuid4

from models.orchestration.transitions import RunSnapshot, State
from models.states import StateType, is_terminal

#: Details a PENDING proposal inherits from the SCHEDULED or PENDING state before it.
CARRIED_INTO_PENDING: Final = ("scheduled_time", "deployment_concurrency_lease_id")


@dataclass(frozen=True, kw_only=True)
class RunChanges:
    """The state a run enters, as it is stored and answered, and the run's new bookkeeping."""

    state: State
    run_count: int
    start_time: datetime | None
    end_time: datetime | None
    total_run_time_seconds: float
    #: The run's new `empirical_policy`, or None when entering the state leaves it alone.
    empirical_policy: dict[str, Any] | None = None

    def columns(self) -> dict[str, Any]:
        """Values for the FlowRun / TaskRun row, the copy of its current state included."""
        policy = (
            {} if self.empirical_policy is None else {"empirical_policy": self.empirical_policy}
        )
        return policy | {
            "state_id": self.state.id,
            "state_type": self.state.type,
            "state_name": self.state.name,
            "state_timestamp": self.state.timestamp,
            "run_count": self.run_count,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "total_run_time_seconds": self.total_run_time_seconds,
        }


def enter_state(run: RunSnapshot, state: State) -> RunChanges:
    """What `run` becomes when it enters `state` (already decided; nothing is checked here)."""
    previous = run.state
    was_running = previous is not None and previous.type is StateType.RUNNING
    runs_now = state.type is StateType.RUNNING

    total_run_time_seconds = run.total_run_time_seconds
    if was_running:
        assert previous is not None
        # Every transition out of a RUNNING state (RUNNING -> RUNNING included, as in
        # Prefect) adds the time since that state began, so a retry's attempts add up.
        spent = (state.timestamp - previous.timestamp).total_seconds()
        total_run_time_seconds += max(spent, 0.0)

    end_time = run.end_time
    if is_terminal(state.type):
        end_time = state.timestamp
    elif previous is not None and is_terminal(previous.type):
        end_time = None  # a finished run started again (a manual retry) has not ended yet

    # A suspended run started again from its deployment is the same attempt, resumed.
    counts = runs_now and not was_running and not run.empirical_policy.get("resuming")
    return RunChanges(
        state=carry_over_details(run, state),
        # The engine reads run_count right after RUNNING; a value above 1 means a retry.
        run_count=run.run_count + 1 if counts else run.run_count,
        start_time=state.timestamp if runs_now and run.start_time is None else run.start_time,
        end_time=end_time,
        total_run_time_seconds=total_run_time_seconds,
        empirical_policy=policy_after_pauses(run, state),
    )


def policy_after_pauses(run: RunSnapshot, state: State) -> dict[str, Any] | None:
    """The flow run's `empirical_policy` once it enters `state`, if pausing changes it.

    Entering PAUSED records the pause's key, so the same pause of a run that starts over
    is refused (the engine then goes on as if resumed). Leaving PAUSED marks the run
    `resuming`, so the RUNNING that restarts a suspended run is not counted as a new
    attempt; that RUNNING (or a final state) clears the mark. A blocking pause left for
    SCHEDULED is different: its process is gone and the run starts over as a new
    attempt, so it meets its pauses again.
    """
    if run.kind != "flow_run":
        return None
    before = run.empirical_policy
    policy = dict(before)
    previous = run.state
    if policy.get("resuming") and (state.type is StateType.RUNNING or is_terminal(state.type)):
        policy["resuming"] = False
    if state.type is StateType.PAUSED:
        # Without a key of its own, a pause gets one no later pause can repeat.
        key = state.state_details.get("pause_key") or str(uuid4())
        policy["pause_keys"] = [*(policy.get("pause_keys") or []), key]
    elif previous is not None and previous.type is StateType.PAUSED:
        blocking = not previous.state_details.get("pause_reschedule")
        if blocking and state.type is StateType.SCHEDULED:
            policy.update(resuming=False, pause_keys=[], retry_type="reschedule")
        else:
            policy["resuming"] = True
    return None if policy == before else policy


def carry_over_details(run: RunSnapshot, state: State) -> State:
    """`state` with the details Prefect fills in from the run and the state before it.

    A PENDING proposal (a Prefect worker's "Pending", then "Submitting") keeps the
    scheduled time of the state before it when it brings none; the reference server
    answers with it. `flow_run_id` (or `task_run_id`) is always the run's own id.
    """
    details = dict(state.state_details)
    previous = run.state
    if (
        state.type is StateType.PENDING
        and previous is not None
        and previous.type in (StateType.SCHEDULED, StateType.PENDING)
    ):
        for key in CARRIED_INTO_PENDING:
            if not details.get(key) and previous.state_details.get(key):
                details[key] = previous.state_details[key]
    own_id_key = "flow_run_id" if run.kind == "flow_run" else "task_run_id"
    details[own_id_key] = str(run.id)
    return replace(state, state_details=details)
