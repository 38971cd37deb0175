"""The window of a page's state histogram: the `range` asked for, as a history body.

The dashboard and a flow's page both draw one; the counting is the database's
(`count_flow_runs_by_interval`), the layout `api.ui.histogram`'s.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from api.ui.histogram import DEFAULT_TIME_RANGE, TIME_RANGES, TimeRange
from models.errors import InvalidRequest
from models.schemas.run_history import FlowRunHistoryBody

if TYPE_CHECKING:
    from aiohttp import web


def chosen_time_range(request: web.Request) -> TimeRange:
    """The window the page was asked for (`?range=24h`); a 400 page for an unknown one."""
    key = request.query.get("range", DEFAULT_TIME_RANGE.key)
    if key not in TIME_RANGES:
        raise InvalidRequest(f"range must be one of {', '.join(TIME_RANGES)}, not {key!r}")
    return TIME_RANGES[key]


def history_body(
    time_range: TimeRange, now: datetime, criteria: dict[str, Any] | None = None
) -> FlowRunHistoryBody:
    """The history of the flow runs expected to start within the range (and matching
    `criteria`, a filter body's parts such as `{"flows": …}`), for
    `count_flow_runs_by_interval`; `draw_histogram` lays out what it counts."""
    start, end = time_range.window(now)
    return FlowRunHistoryBody.model_validate(
        {
            **(criteria or {}),
            "history_start": start,
            "history_end": end,
            "history_interval_seconds": time_range.interval.total_seconds(),
        }
    )
