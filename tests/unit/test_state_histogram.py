"""The state histogram's geometry: stacked segments, round count ticks, time windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from api.ui.histogram import (
    BAR_FILL,
    MOST_TIME_TICKS,
    STACK_ORDER,
    TIME_RANGES,
    Frame,
    count_axis,
    count_step,
    draw_histogram,
    time_label,
)
from models.states import StateType

START = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Counted:
    start: datetime
    end: datetime
    counts: dict[StateType, int] = field(default_factory=dict)


def hours(*counts: dict[StateType, int]) -> list[Counted]:
    return [Counted(START + n * HOUR, START + (n + 1) * HOUR, c) for n, c in enumerate(counts)]


@pytest.mark.parametrize(
    ("peak", "step"),
    [(1, 1), (4, 1), (5, 2), (8, 2), (9, 5), (20, 5), (21, 10), (400, 100), (401, 200),
     (1000, 500), (999_999, 500_000)],
)  # fmt: skip
def test_count_steps_are_one_two_or_five_times_a_power_of_ten(peak: int, step: int) -> None:
    assert count_step(peak) == step
    assert -(-peak // step) <= 4  # the axis reaches the peak in at most four steps


def test_the_count_axis_ends_on_a_whole_step_at_or_above_the_peak() -> None:
    assert count_axis(7) == (8, [0, 2, 4, 6, 8])
    assert count_axis(10) == (10, [0, 5, 10])
    assert count_axis(0) == (1, [0, 1])  # an empty chart still has an axis


def test_segments_stack_in_state_order_from_the_baseline_scaled_to_the_busiest_bar() -> None:
    frame = Frame(width=240, height=120, left=40, right=0, top=20, bottom=20)
    intervals = hours(
        {StateType.FAILED: 1, StateType.COMPLETED: 3},
        {},
        {StateType.COMPLETED: 2},
    )
    histogram = draw_histogram(intervals, frame)
    # The busiest bar holds 4 runs; the axis tops at 4, so one run is 80 / 4 = 20 units.
    first_completed, first_failed, third_completed = histogram.segments
    assert (first_completed.state_type, first_failed.state_type) == (
        StateType.COMPLETED,
        StateType.FAILED,
    )
    assert first_completed.y + first_completed.height == frame.baseline == 100
    assert first_completed.height == 60 and first_failed.height == 20
    assert first_failed.y + first_failed.height == first_completed.y
    assert first_failed.y == frame.top  # the busiest bar fills the plot
    # Bars sit in their interval's slot (200 / 3 units wide), centred, BAR_FILL wide.
    slot = frame.plot_width / 3
    assert first_completed.width == pytest.approx(slot * BAR_FILL)
    assert third_completed.x == pytest.approx(40 + 2 * slot + slot * (1 - BAR_FILL) / 2)
    assert third_completed.height == 40
    assert (third_completed.start, third_completed.end) == (START + 2 * HOUR, START + 3 * HOUR)
    assert histogram.legend == [(StateType.COMPLETED, 5), (StateType.FAILED, 1)]
    assert histogram.total == 6
    assert [tick.label for tick in histogram.count_ticks] == ["0", "1", "2", "3", "4"]
    assert [tick.position for tick in histogram.count_ticks] == [100, 80, 60, 40, 20]


def test_failures_are_stacked_on_top_where_they_show() -> None:
    assert STACK_ORDER[0] is StateType.COMPLETED and STACK_ORDER[-1] is StateType.FAILED
    assert set(STACK_ORDER) == set(StateType)


def test_time_ticks_label_at_most_eight_intervals_from_the_first() -> None:
    histogram = draw_histogram(hours(*([{StateType.COMPLETED: 1}] * 24)))
    labels = [tick.label for tick in histogram.time_ticks]
    assert len(labels) <= MOST_TIME_TICKS
    assert labels[:3] == ["07 Dec 00:00", "03:00", "06:00"]  # midnight names its day
    positions = [tick.position for tick in histogram.time_ticks]
    assert positions == sorted(positions) and positions[0] == Frame().left


def test_an_empty_window_draws_no_bars() -> None:
    histogram = draw_histogram(hours({}, {}))
    assert histogram.segments == [] and histogram.legend == [] and histogram.total == 0


@pytest.mark.parametrize(
    ("moment", "interval", "label"),
    [
        (START + timedelta(minutes=35), timedelta(minutes=5), "00:35"),
        (START + 13 * HOUR, HOUR, "13:00"),
        (START + timedelta(days=2), timedelta(hours=6), "09 Dec 00:00"),
        (START + timedelta(days=2), timedelta(days=1), "09 Dec"),
    ],
)
def test_time_labels_fit_the_interval(moment: datetime, interval: timedelta, label: str) -> None:
    assert time_label(moment, interval) == label


def test_a_window_ends_with_the_interval_holding_now_on_whole_intervals() -> None:
    day = TIME_RANGES["24h"]
    now = datetime(2026, 12, 7, 10, 20, 5, tzinfo=UTC)
    start, end = day.window(now)
    assert end == datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
    assert start == end - timedelta(hours=24)
    # A minute later the bars are the same intervals.
    assert day.window(now + timedelta(minutes=1)) == (start, end)
    # A time on an edge opens the next interval.
    assert day.window(end)[1] == end + HOUR
    week = TIME_RANGES["7d"]
    start, end = week.window(now)
    assert end == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert (end - start) / week.interval == 28
