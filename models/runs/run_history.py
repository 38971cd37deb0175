"""How runs fared over time: counts per interval and state (history), and average lateness.

`flow_run_history` answers the API's history (each state name with its summed run times and
lateness, worked out per run in Python); `count_flow_runs_by_interval` counts by state type
only, in the database, so that a chart over a busy day reads index entries, not runs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, func, literal, select

from models.db.dialect import epoch_milliseconds, seconds_between
from models.db.types import UtcDateTime
from models.runs.flow_runs import FlowRun
from models.runs.task_runs import TaskRun
from models.schemas.flow_runs import estimated_run_time, estimated_start_time_delta
from models.schemas.run_history import HistoryInterval, HistoryState
from models.schemas.states import default_state_name
from models.states import TERMINAL_STATE_TYPES, StateType

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.filters.bodies import FlowRunCountBody
    from models.schemas.run_history import FlowRunHistoryBody, TaskRunHistoryBody


async def flow_run_history(
    session: AsyncSession, body: FlowRunHistoryBody, now: datetime
) -> list[HistoryInterval]:
    """The flow runs matching the body, counted per interval (by expected start) and state."""
    return await run_history(session, FlowRun, body, now)


async def task_run_history(
    session: AsyncSession, body: TaskRunHistoryBody, now: datetime
) -> list[HistoryInterval]:
    """The task runs matching the body, counted per interval (by expected start) and state."""
    return await run_history(session, TaskRun, body, now)


async def run_history(
    session: AsyncSession,
    run: type[FlowRun] | type[TaskRun],
    body: FlowRunHistoryBody | TaskRunHistoryBody,
    now: datetime,
) -> list[HistoryInterval]:
    intervals = body.intervals()
    if not intervals:
        return []
    start, end = intervals[0][0], intervals[-1][1]
    dialect = session.get_bind().dialect.name
    rows = await session.execute(
        select(
            run.expected_start_time,
            run.state_type,
            run.state_name,
            run.state_timestamp,
            run.total_run_time_seconds,
            run.start_time,
        ).where(
            body.where(dialect),
            run.expected_start_time >= start,
            run.expected_start_time < end,
            run.state_type.is_not(None),
        )
    )
    # Summed here rather than in SQL: the sums depend on `now` and the state, as in a response.
    interval = timedelta(seconds=body.history_interval_seconds)
    sums: dict[int, dict[tuple[StateType, str], list[float]]] = defaultdict(dict)
    for expected, state_type, state_name, state_timestamp, total, started in rows:
        assert expected is not None and state_type is not None  # both selected not null
        name = state_name or default_state_name(state_type)
        counted = sums[(expected - start) // interval].setdefault((state_type, name), [0, 0, 0])
        counted[0] += 1
        counted[1] += max(0.0, estimated_run_time(state_type, state_timestamp, total, now))
        counted[2] += estimated_start_time_delta(state_type, expected, started, now)
    return [
        HistoryInterval(
            interval_start=interval_start,
            interval_end=interval_end,
            states=[
                HistoryState(
                    state_type=state_type,
                    state_name=state_name,
                    count_runs=int(count),
                    sum_estimated_run_time=run_time,
                    sum_estimated_lateness=lateness,
                )
                for (state_type, state_name), (count, run_time, lateness) in sorted(
                    sums[index].items()
                )
            ],
        )
        for index, (interval_start, interval_end) in enumerate(intervals)
    ]


@dataclass(frozen=True)
class IntervalCounts:
    """How many runs expected to start within one interval are in each state type."""

    start: datetime
    end: datetime
    counts: dict[StateType, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def count_flow_runs_by_interval(
    session: AsyncSession, body: FlowRunHistoryBody
) -> list[IntervalCounts]:
    """The flow runs matching the body, counted per interval (by expected start) and state
    type by the database.

    Without other criteria, the (state type, expected start time) index covers the query:
    the runs themselves are never read.
    """
    intervals = body.intervals()
    if not intervals:
        return []
    start, end = intervals[0][0], intervals[-1][1]
    # Whole milliseconds: exact on both databases, and never negative within the window, so
    # integer division is the floor.
    since_start = epoch_milliseconds(FlowRun.expected_start_time) - round(start.timestamp() * 1000)
    index = since_start // round(body.history_interval_seconds * 1000)
    criteria = body.clause(session.get_bind().dialect.name)
    # With no criteria, every state type named lets the (state type, expected start time)
    # index cover the query; with some (a flow's runs), their own index leads: SQLite would
    # otherwise read every run of the window to find the flow's.
    matching = (
        FlowRun.state_type.in_(list(StateType))
        if criteria is None
        else and_(criteria, FlowRun.state_type.is_not(None))
    )
    rows = await session.execute(
        select(index.label("interval"), FlowRun.state_type, func.count())
        .where(
            matching,
            FlowRun.expected_start_time >= start,
            FlowRun.expected_start_time < end,
        )
        .group_by("interval", FlowRun.state_type)
    )
    counted = [
        IntervalCounts(interval_start, interval_end) for interval_start, interval_end in intervals
    ]
    for position, state_type, count in rows:
        assert state_type is not None  # selected among the state types
        # The window holds every counted run; only the rounding of a run's microseconds at
        # the window's end could place one a step beyond it.
        interval = counted[min(max(int(position), 0), len(counted) - 1)]
        interval.counts[state_type] = interval.counts.get(state_type, 0) + count
    return counted


async def average_flow_run_lateness(
    session: AsyncSession, body: FlowRunCountBody, now: datetime
) -> float | None:
    """Seconds the matching flow runs started late on average; None when none match.

    A run that started counts its delay, one still waiting past its expected start counts
    the wait so far, and any other counts zero.
    """
    dialect = session.get_bind().dialect.name
    moment = literal(now, UtcDateTime())
    lateness = case(
        (
            FlowRun.start_time > FlowRun.expected_start_time,
            seconds_between(FlowRun.start_time, FlowRun.expected_start_time),
        ),
        (
            and_(
                FlowRun.start_time.is_(None),
                FlowRun.state_type.not_in(TERMINAL_STATE_TYPES),
                FlowRun.expected_start_time < moment,
            ),
            seconds_between(moment, FlowRun.expected_start_time),
        ),
        else_=0.0,
    )
    average = await session.scalar(select(func.avg(lateness)).where(body.where(dialect)))
    return None if average is None else float(average)
