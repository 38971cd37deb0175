"""The kinds of state a flow run or task run can be in."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class StateType(StrEnum):
    """What a run entered; the state's name refines it (AwaitingRetry is a SCHEDULED)."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"


#: A run in one of these states has finished and will not run again without a retry.
TERMINAL_STATE_TYPES: Final = frozenset(
    {StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED}
)


def is_terminal(state_type: StateType | None) -> bool:
    return state_type in TERMINAL_STATE_TYPES
