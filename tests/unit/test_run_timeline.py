"""The flow-run page's timeline geometry and the run pages' log levels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from api.ui.log_levels import level_name
from api.ui.timeline import (
    AXIS_HEIGHT,
    LANE_HEIGHT,
    MAX_TICKS,
    MIN_BAR_WIDTH,
    WIDTH,
    TimelineRun,
    draw_timeline,
    tick_step,
)
from models.states import StateType

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def run(start_s: float, end_s: float | None, name: str = "step", kind: str = "task-run",
        state: StateType | None = StateType.COMPLETED) -> TimelineRun:  # fmt: skip
    end = None if end_s is None else START + timedelta(seconds=end_s)
    return TimelineRun(uuid4(), kind, name, state, START + timedelta(seconds=start_s), end)


def test_bars_span_their_runs_on_the_flow_runs_axis() -> None:
    first, second = run(0, 50, "first"), run(50, 100, "second")
    timeline = draw_timeline([second, first], origin=START, now=START + timedelta(seconds=100))
    assert [bar.run.name for bar in timeline.bars] == ["first", "second"]  # start order
    assert [(bar.x, bar.width) for bar in timeline.bars] == [(0, WIDTH / 2), (WIDTH / 2, WIDTH / 2)]
    # One lane each, below the axis.
    assert timeline.bars[1].y - timeline.bars[0].y == LANE_HEIGHT
    assert timeline.bars[0].y > AXIS_HEIGHT - LANE_HEIGHT
    assert timeline.height == AXIS_HEIGHT + 2 * LANE_HEIGHT


def test_a_run_still_going_reaches_now_and_says_so() -> None:
    going = run(10, None, "slow", state=StateType.RUNNING)
    timeline = draw_timeline([going], origin=START, now=START + timedelta(seconds=20))
    (bar,) = timeline.bars
    assert (bar.x, bar.width) == (WIDTH / 2, WIDTH / 2)
    assert bar.label == "slow · 10 s (running)"
    assert bar.fill_class == "fill-running"


def test_an_instant_run_keeps_a_visible_bar_and_its_link() -> None:
    instant = run(30, 30, kind="flow-run", state=None)
    timeline = draw_timeline([run(0, 60), instant], origin=START, now=START)
    bar = timeline.bars[1]
    assert bar.width == MIN_BAR_WIDTH
    assert bar.fill_class == "fill-none"
    assert bar.href == f"/runs/flow-run/{instant.id}"


def test_labels_near_the_right_edge_go_left_of_their_bar() -> None:
    early, late = run(0, 10), run(90, 100)
    timeline = draw_timeline([early, late], origin=START, now=START)
    left, right = timeline.bars
    assert (left.label_anchor, left.label_x) == ("start", left.x + left.width + 4)
    assert (right.label_anchor, right.label_x) == ("end", right.x - 4)


def test_the_axis_runs_to_the_flow_runs_end() -> None:
    timeline = draw_timeline([run(0, 10)], origin=START, now=START + timedelta(seconds=40))
    assert timeline.bars[0].width == WIDTH / 4
    assert [(tick.x, tick.label, tick.anchor) for tick in timeline.ticks[-2:]] == [
        (WIDTH * 35 / 40, "+35 s", "start"),
        (WIDTH, "+40 s", "end"),
    ]


def test_ticks_start_at_zero_and_stay_few() -> None:
    timeline = draw_timeline([run(0, 3600)], origin=START, now=START)
    assert timeline.ticks[0].label == "0"
    assert timeline.ticks[0].x == 0
    assert [tick.label for tick in timeline.ticks[1:3]] == ["+10 min", "+20 min"]
    assert len(timeline.ticks) <= MAX_TICKS + 1


@pytest.mark.parametrize(
    ("span", "step"),
    [(5, 1), (9, 2), (60, 10), (3600, 600), (86_400, 21_600), (30 * 86_400, 345_600)],
)
def test_tick_steps_read_well(span: float, step: int) -> None:
    assert tick_step(span) == step
    assert span / tick_step(span) <= MAX_TICKS


def test_an_empty_timeline_has_room_for_its_message() -> None:
    timeline = draw_timeline([], origin=START, now=START)
    assert timeline.bars == []
    assert timeline.height == AXIS_HEIGHT + LANE_HEIGHT


@pytest.mark.parametrize(
    ("level", "name"),
    [(10, "DEBUG"), (20, "INFO"), (25, "INFO"), (40, "ERROR"), (50, "CRITICAL"), (5, "5")],
)
def test_log_levels_are_named_as_python_names_them(level: int, name: str) -> None:
    assert level_name(level) == name
