"""The geometry of a flow run's timeline chart: times to x, one bar per lane, ticks.

Pure arithmetic, no HTML: the flow-run page's template draws the SVG from what this returns,
so the chart is tested without a browser. A bar runs from its run's start to its end; a run
still going runs to `now`. Lanes are rows, one per task run or subflow run, in start order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

from api.ui.formatting import duration
from models.states import StateType

#: Seconds between ticks that read well, smallest first; the first that keeps the ticks at
#: most MAX_TICKS is taken.
TICK_STEPS: Final = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400,
)  # fmt: skip
MAX_TICKS: Final = 8
#: Drawn size of the chart (SVG user units; the SVG scales to its box).
WIDTH: Final = 1000
LANE_HEIGHT: Final = 24
BAR_HEIGHT: Final = 16
AXIS_HEIGHT: Final = 22
#: A bar never gets narrower than this, so an instant task run stays visible.
MIN_BAR_WIDTH: Final = 3.0
#: Past this share of the width a bar's label goes on its left, so it stays inside the chart.
LABEL_SWITCH: Final = 0.7


@dataclass(frozen=True)
class TimelineRun:
    """What the chart needs of one task run or subflow run."""

    id: UUID
    kind: str  # "task-run" or "flow-run"
    name: str
    state_type: StateType | None
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class Bar:
    """One run's bar: its rectangle, its label and where the label goes."""

    run: TimelineRun
    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    label_y: float
    label_anchor: str  # "start" (right of the bar) or "end" (left of it)

    @property
    def fill_class(self) -> str:
        state_type = self.run.state_type
        return f"fill-{state_type.value.lower()}" if state_type else "fill-none"

    @property
    def href(self) -> str:
        return f"/runs/{self.run.kind}/{self.run.id}"


@dataclass(frozen=True)
class Tick:
    x: float
    label: str

    @property
    def anchor(self) -> str:
        """Labels near the right edge end at their tick, so they stay inside the chart."""
        return "end" if self.x > WIDTH * 0.9 else "start"


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    axis_y: float
    bars: list[Bar]
    ticks: list[Tick]


def tick_step(span_seconds: float) -> int:
    """The smallest readable step that draws at most MAX_TICKS ticks over the span."""
    for step in TICK_STEPS:
        if span_seconds / step <= MAX_TICKS:
            return step
    return -(-int(span_seconds) // (MAX_TICKS * TICK_STEPS[-1])) * TICK_STEPS[-1]


def draw_timeline(runs: Sequence[TimelineRun], origin: datetime, now: datetime) -> Timeline:
    """Bars for `runs` (drawn in start order) on an axis from `origin` (the flow run's
    start) to `now` (its end, or now while it runs); runs without an end reach `now`."""
    ordered = sorted(runs, key=lambda run: (run.start, run.end or now, str(run.id)))
    first = min([origin, *(run.start for run in ordered)])
    last = max([first + timedelta(seconds=1), now, *((run.end or now) for run in ordered)])
    span = (last - first).total_seconds()

    def x_of(moment: datetime) -> float:
        return round((moment - first).total_seconds() / span * WIDTH, 2)

    bars = []
    for lane, run in enumerate(ordered):
        x = x_of(run.start)
        width = max(MIN_BAR_WIDTH, x_of(run.end or now) - x)
        y = AXIS_HEIGHT + lane * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) / 2
        right = x + width > WIDTH * LABEL_SWITCH
        took = duration((run.end or now) - run.start)
        bars.append(
            Bar(
                run=run,
                x=x,
                y=y,
                width=round(min(width, WIDTH - x) if x < WIDTH else MIN_BAR_WIDTH, 2),
                height=BAR_HEIGHT,
                label=f"{run.name} · {took}" + ("" if run.end else " (running)"),
                label_x=round(x - 4, 2) if right else round(x + width + 4, 2),
                label_y=y + BAR_HEIGHT - 4,
                label_anchor="end" if right else "start",
            )
        )
    step = tick_step(span)
    ticks = [
        Tick(
            x=x_of(first + timedelta(seconds=offset)),
            label=f"+{duration(offset)}" if offset else "0",
        )
        for offset in range(0, int(span) + 1, step)
    ]
    return Timeline(
        width=WIDTH,
        height=AXIS_HEIGHT + max(1, len(bars)) * LANE_HEIGHT,
        axis_y=AXIS_HEIGHT - 6,
        bars=bars,
        ticks=ticks,
    )
