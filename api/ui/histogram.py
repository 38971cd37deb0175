"""The state histogram's geometry: runs counted per interval, as stacked bars and axis ticks.

Pure arithmetic on counts (no database, no markup), so that the chart's shape is tested on
its own; templates/histogram.html draws what `draw_histogram` lays out as SVG. Coordinates
are in the SVG's user units, y growing downwards as SVG has it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol

from models.states import StateType

#: Bottom to top: what went well at the foot of a bar, failures on top where they show.
STACK_ORDER: Final = (
    StateType.COMPLETED,
    StateType.RUNNING,
    StateType.PENDING,
    StateType.SCHEDULED,
    StateType.PAUSED,
    StateType.CANCELLING,
    StateType.CANCELLED,
    StateType.CRASHED,
    StateType.FAILED,
)
#: The most labels under the time axis and beside the count axis.
MOST_TIME_TICKS: Final = 8
MOST_COUNT_TICKS: Final = 4
#: The share of its interval a bar fills; the rest is the gap between bars.
BAR_FILL: Final = 0.8


@dataclass(frozen=True)
class TimeRange:
    """A choice of window for the histogram: how far back, cut into intervals how long."""

    key: str
    label: str
    span: timedelta
    interval: timedelta

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """Start and end of the window ending with the interval that holds `now`.

        Interval edges fall on whole multiples of the interval since 1970, so that a page
        refreshed a minute later draws the same bars with their counts moved on.
        """
        seconds = self.interval.total_seconds()
        end = datetime.fromtimestamp(math.ceil(now.timestamp() / seconds) * seconds, now.tzinfo)
        if end == now:  # `now` opens an interval: it belongs to the one that starts there
            end += self.interval
        return end - self.span, end


#: The windows a page offers, by the key of its `range` query parameter.
TIME_RANGES: Final = {
    time_range.key: time_range
    for time_range in (
        TimeRange("1h", "Last hour", timedelta(hours=1), timedelta(minutes=5)),
        TimeRange("6h", "Last 6 hours", timedelta(hours=6), timedelta(minutes=15)),
        TimeRange("24h", "Last 24 hours", timedelta(hours=24), timedelta(hours=1)),
        TimeRange("7d", "Last 7 days", timedelta(days=7), timedelta(hours=6)),
    )
}
DEFAULT_TIME_RANGE: Final = TIME_RANGES["24h"]


class CountedInterval(Protocol):
    """One interval of the histogram: its bounds and its runs by state type."""

    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def counts(self) -> Mapping[StateType, int]: ...


@dataclass(frozen=True)
class Frame:
    """The chart's size, and the margins around its plot kept for the axes' labels."""

    width: float = 1200
    height: float = 240
    left: float = 44
    right: float = 8
    top: float = 8
    bottom: float = 22

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        return self.height - self.bottom


@dataclass(frozen=True)
class Segment:
    """The runs of one state type in one interval: one rectangle of a stacked bar."""

    x: float
    y: float
    width: float
    height: float
    state_type: StateType
    count: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Tick:
    """A label on an axis, at `position` along it (x for time, y for counts)."""

    position: float
    label: str


@dataclass(frozen=True)
class Histogram:
    """Everything the template draws: the frame, the segments, both axes, the legend."""

    frame: Frame
    segments: list[Segment]
    count_ticks: list[Tick]
    time_ticks: list[Tick]
    #: The state types that occur, in stacking order, each with its runs over the window.
    legend: list[tuple[StateType, int]]
    total: int


def count_step(peak: int, most: int = MOST_COUNT_TICKS) -> int:
    """The smallest step of 1, 2 or 5 times a power of ten that reaches `peak` in at most
    `most` steps (so the axis reads 0, 5, 10, 15 and never 0, 7, 14)."""
    if peak <= most:
        return 1
    power = 10 ** math.floor(math.log10(peak / most))
    for multiple in (1, 2, 5, 10):
        if peak <= most * multiple * power:
            return multiple * power
    return 10 * power  # unreachable: the power was chosen so that 10 steps of it reach the peak


def count_axis(peak: int, most: int = MOST_COUNT_TICKS) -> tuple[int, list[int]]:
    """The top of the count axis (a whole number of steps at or above `peak`, at least 1)
    and the counts to label, from 0 up to it."""
    step = count_step(max(peak, 1), most)
    top = step * max(1, math.ceil(peak / step))
    return top, list(range(0, top + 1, step))


def time_label(moment: datetime, interval: timedelta) -> str:
    """A tick's text: the hour within a day, the day and hour within days, else the date."""
    if interval < timedelta(hours=1):
        return moment.strftime("%H:%M")
    if interval < timedelta(days=1):
        return moment.strftime("%d %b %H:%M") if moment.hour == 0 else moment.strftime("%H:%M")
    return moment.strftime("%d %b")


def draw_histogram(intervals: Sequence[CountedInterval], frame: Frame | None = None) -> Histogram:
    """Stacked bars (one per interval, one segment per state type) scaled to the busiest
    interval, with round count ticks and at most MOST_TIME_TICKS time labels."""
    frame = frame or Frame()
    totals = [sum(interval.counts.values()) for interval in intervals]
    top, counts = count_axis(max(totals, default=0))
    scale = frame.plot_height / top
    slot = frame.plot_width / len(intervals) if intervals else frame.plot_width
    segments = []
    for position, interval in enumerate(intervals):
        x = frame.left + position * slot + slot * (1 - BAR_FILL) / 2
        y = frame.baseline
        for state_type in STACK_ORDER:
            count = interval.counts.get(state_type, 0)
            if count <= 0:
                continue
            height = count * scale
            y -= height
            segments.append(
                Segment(
                    x=x,
                    y=y,
                    width=slot * BAR_FILL,
                    height=height,
                    state_type=state_type,
                    count=count,
                    start=interval.start,
                    end=interval.end,
                )
            )
    count_ticks = [Tick(frame.baseline - count * scale, f"{count:,}") for count in counts]
    time_ticks = []
    if intervals:
        every = math.ceil(len(intervals) / MOST_TIME_TICKS)
        length = intervals[0].end - intervals[0].start
        time_ticks = [
            Tick(frame.left + position * slot, time_label(intervals[position].start, length))
            for position in range(0, len(intervals), every)
        ]
    by_state = {
        state_type: sum(interval.counts.get(state_type, 0) for interval in intervals)
        for state_type in STACK_ORDER
    }
    legend = [(state_type, runs) for state_type, runs in by_state.items() if runs > 0]
    return Histogram(frame, segments, count_ticks, time_ticks, legend, sum(totals))
