"""POST /api/flow_runs/history and /api/task_runs/history: runs counted by interval and state.

The body is a window (start, end, interval in seconds) and the usual filters; the answer is
one entry per interval, each with the states its runs are in (by expected start time).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from pydantic import BaseModel, Field, field_validator

from models.errors import InvalidRequest
from models.filters.bodies import FlowRunCountBody, TaskRunCountBody
from models.filters.criteria import in_utc
from models.filters.work_pools import WorkQueueFilter
from models.states import StateType

#: The most intervals one history answers, as the reference: a longer window is cut short.
MAX_INTERVALS: Final = 500
#: What the reference answers (422) for an interval under a second.
SHORT_INTERVAL_DETAIL: Final = "History interval must not be less than 1 second."
#: The longest interval a `timedelta` holds (about 2.7 million years); a longer one is a 422.
MAX_INTERVAL_SECONDS: Final = timedelta.max.total_seconds()
LONG_INTERVAL_DETAIL: Final = (
    f"History interval must not be more than {MAX_INTERVAL_SECONDS:.0f} seconds."
)
#: The last moment a history interval may end at; an interval running past it is cut there.
LATEST: Final = datetime.max.replace(tzinfo=UTC)


class HistoryWindow(BaseModel):
    """The window a history covers, cut into intervals of `history_interval_seconds`."""

    history_start: datetime
    history_end: datetime
    history_interval_seconds: float

    @field_validator("history_start", "history_end", mode="after")
    @classmethod
    def in_utc(cls, value: datetime) -> datetime:
        # A time without an offset is read as UTC, as the reference does.
        return value.replace(tzinfo=UTC) if value.tzinfo is None else in_utc(value)

    @field_validator("history_interval_seconds", mode="after")
    @classmethod
    def at_least_a_second(cls, value: float) -> float:
        # Not a ValueError: it reaches the API as itself, a 422 with the reference's detail.
        if not value >= 1:
            raise InvalidRequest(SHORT_INTERVAL_DETAIL)
        if value > MAX_INTERVAL_SECONDS:
            raise InvalidRequest(LONG_INTERVAL_DETAIL)
        return value

    def intervals(self) -> list[tuple[datetime, datetime]]:
        """Each interval's start and end, from history_start until history_end is covered."""
        interval = timedelta(seconds=self.history_interval_seconds)
        elapsed = self.history_end - self.history_start
        count = min(-(-elapsed // interval), MAX_INTERVALS) if elapsed > timedelta(0) else 0
        return [
            (
                later_by(self.history_start, interval, i),
                later_by(self.history_start, interval, i + 1),
            )
            for i in range(count)
        ]


def later_by(moment: datetime, interval: timedelta, times: int) -> datetime:
    """`moment + times * interval`, or the latest representable time when that is past year
    9999 (a window near the end of time, cut into long intervals, reaches beyond it)."""
    try:
        return moment + times * interval
    except OverflowError:
        return LATEST


class FlowRunHistoryBody(HistoryWindow, FlowRunCountBody):
    """The body of POST /api/flow_runs/history; its work-queue criteria are `work_queues`."""

    work_pool_queues: WorkQueueFilter | None = Field(default=None, alias="work_queues")


class TaskRunHistoryBody(HistoryWindow, TaskRunCountBody):
    """The body of POST /api/task_runs/history."""


class HistoryState(BaseModel):
    """The runs of one interval in one state, and their summed run times and lateness."""

    state_type: StateType
    state_name: str
    count_runs: int
    sum_estimated_run_time: float
    sum_estimated_lateness: float


class HistoryInterval(BaseModel):
    """One interval of a history."""

    interval_start: datetime
    interval_end: datetime
    states: list[HistoryState]
