"""The late-run orchestration policy: only a run still "Scheduled" is marked Late, once."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from models.orchestration.flow_run_policy import orchestrate
from models.orchestration.late_run_policy import LATE_RUN_RULES
from models.orchestration.transitions import (
    Decision,
    DecisionStatus,
    RunSnapshot,
    State,
    Transition,
)
from models.states import StateType

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def mark_late(current: State | None) -> Decision:
    late = State(type=StateType.SCHEDULED, name="Late", timestamp=NOW)
    run = RunSnapshot(id=uuid4(), kind="flow_run", state=current)
    return orchestrate(Transition(run=run, proposed=late, now=NOW), LATE_RUN_RULES)


def test_a_scheduled_run_is_marked_late() -> None:
    decision = mark_late(State(type=StateType.SCHEDULED, name="Scheduled", timestamp=NOW))
    assert decision.status is DecisionStatus.ACCEPT
    assert decision.state is not None and decision.state.name == "Late"


def test_a_late_run_stays_as_it_is() -> None:
    current = State(type=StateType.SCHEDULED, name="Late", timestamp=NOW)
    decision = mark_late(current)
    assert decision.status is DecisionStatus.REJECT and decision.state == current


@pytest.mark.parametrize("type_", [StateType.PENDING, StateType.RUNNING, StateType.CANCELLED])
def test_a_run_that_left_scheduled_is_not_marked_late(type_: StateType) -> None:
    current = State(type=type_, name=type_.value.title(), timestamp=NOW)
    decision = mark_late(current)
    assert decision.status is DecisionStatus.REJECT and decision.state == current
    assert decision.entered_state(RunSnapshot(id=uuid4(), kind="flow_run", state=current)) is None
