"""`/` and `/dashboard`: how runs fare and what needs attention, on one page.

Runs by state over a window (a stacked histogram), the latest failures, late runs, the work
pools' health, the queues' depths and the notification channels that fail. Every part reads
a bounded slice (a window, an index range, a LIMIT), so the page costs the same with a
million runs as with a hundred. Flow-run events refresh it; the queues, which send no
event, are polled.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

import aiohttp_jinja2
import redis
from aiohttp import web

from actors.broker import broker
from api import keys
from api.metrics import known_queues
from api.ui.histogram import TIME_RANGES, draw_histogram
from api.ui.listed_runs import flow_ids_of, listed_runs
from api.ui.state_history import chosen_time_range, history_body
from models.coordination.work_pools import count_work_pools, filter_work_pools
from models.coordination.workers import count_online_workers
from models.db.types import utcnow
from models.filters.bodies import FlowRunCountBody, FlowRunFilterBody, WorkPoolFilterBody
from models.live_readings import read_queue_depths
from models.messages.dead_letters import count_dead_letters
from models.notifications.history import read_failing_channels
from models.runs.flow_run_listing import filter_flow_runs_ids_first
from models.runs.flow_runs import count_flow_runs_up_to
from models.runs.flows import read_flow_names
from models.runs.run_history import count_flow_runs_by_interval
from models.states import StateType

routes = web.RouteTableDef()

#: Runs each list shows; late runs are counted up to LATE_COUNT_CAP beyond that.
LISTED_RUNS: Final = 10
LATE_COUNT_CAP: Final = 1000
#: Work pools the health table shows.
LISTED_POOLS: Final = 50
#: How far back a failed delivery makes its channel a failing one.
FAILING_CHANNEL_WINDOW: Final = timedelta(hours=24)
#: Seconds between refreshes of what no event announces (queue depths, deliveries).
POLL_SECONDS: Final = 10
#: A failure is a run that ended badly.
FAILURE_TYPES: Final = [StateType.FAILED, StateType.CRASHED]


@routes.get("/", name="dashboard")
@routes.get("/dashboard")
@aiohttp_jinja2.template("dashboard.html")
async def dashboard_page(request: web.Request) -> dict[str, Any]:
    time_range = chosen_time_range(request)
    now = utcnow()
    start, _ = time_range.window(now)
    failures = FlowRunFilterBody.model_validate(
        {
            "flow_runs": {
                "state": {"type": {"any_": FAILURE_TYPES}},
                "expected_start_time": {"after_": start},
            },
            "sort": "EXPECTED_START_TIME_DESC",
            "limit": LISTED_RUNS,
        }
    )
    # A SCHEDULED run past its expected start is late, whether or not it is named Late yet.
    late_criteria = {
        "flow_runs": {
            "state": {"type": {"any_": [StateType.SCHEDULED]}},
            "expected_start_time": {"before_": now},
        }
    }
    late = FlowRunFilterBody.model_validate(
        {**late_criteria, "sort": "EXPECTED_START_TIME_DESC", "limit": LISTED_RUNS}
    )
    pools_body = WorkPoolFilterBody(limit=LISTED_POOLS)
    async with request.app[keys.database].read_sessions() as session:
        counts = await count_flow_runs_by_interval(session, history_body(time_range, now))
        failed_rows = await filter_flow_runs_ids_first(session, failures)
        late_rows = await filter_flow_runs_ids_first(session, late)
        flow_names = await read_flow_names(session, flow_ids_of([*failed_rows, *late_rows]))
        late_count = await count_flow_runs_up_to(
            session, FlowRunCountBody.model_validate(late_criteria), LATE_COUNT_CAP + 1
        )
        pools = await filter_work_pools(session, pools_body)
        pool_count = await count_work_pools(session, pools_body)
        online = await count_online_workers(session, [pool.id for pool in pools], now)
        failing_channels = await read_failing_channels(session, now - FAILING_CHANNEL_WINDOW)
        dead_letters = await count_dead_letters(session)
    return {
        "now": now,
        "time_range": time_range,
        "time_ranges": TIME_RANGES.values(),
        "histogram": draw_histogram(counts),
        "failed_runs": listed_runs(failed_rows, flow_names, now),
        "late_runs": listed_runs(late_rows, flow_names, now),
        "late_count": late_count,
        "late_count_cap": LATE_COUNT_CAP,
        "pools": [(pool, online.get(pool.id, 0)) for pool in pools],
        "more_pools": max(0, pool_count - len(pools)),
        "queues": await read_queues(request),
        "failing_channels": failing_channels,
        "failing_hours": int(FAILING_CHANNEL_WINDOW.total_seconds() // 3600),
        "dead_letters": dead_letters,
        "live_resources": ["prefect.flow-run."],
        "live_poll": POLL_SECONDS,
    }


async def read_queues(request: web.Request) -> list[Any] | None:
    """Each queue's depths from Redis; None when Redis does not answer (the page still shows
    everything the database knows)."""
    try:
        return await read_queue_depths(
            request.app[keys.redis_client], broker.namespace, known_queues()
        )
    except redis.RedisError:
        return None
