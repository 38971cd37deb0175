"""`/work-pools` and `/work-pools/work-pool/<name>`: work pools, their queues and their
Prefect workers; pausing a pool or a queue through the REST API."""

from __future__ import annotations

from typing import Any, Final

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.ui.paging import PAGE_SIZE, Page, page_offset, requested_page
from models.coordination.work_pools import (
    count_pool_queues,
    filter_work_pools,
    pools_active_slots,
    read_pool_with_slots,
)
from models.coordination.work_queues import filter_pool_queues
from models.coordination.workers import count_online_workers, filter_workers, is_online
from models.db.types import utcnow
from models.filters.bodies import WorkerFilterBody, WorkPoolFilterBody, WorkQueueFilterBody

routes = web.RouteTableDef()

#: Queues and Prefect workers shown on a pool's page (a filter call returns 200 at most).
SHOWN: Final = 200
#: Seconds between refreshes: heartbeats and polls send no event a page could follow.
POLL_SECONDS: Final = 10


@routes.get("/work-pools", name="work-pools")
@aiohttp_jinja2.template("work_pools.html")
async def work_pools_page(request: web.Request) -> dict[str, Any]:
    number = requested_page(request)
    body = WorkPoolFilterBody.model_validate(
        {"limit": PAGE_SIZE + 1, "offset": page_offset(number)}
    )
    async with request.app[keys.database].read_sessions() as session:
        page = Page.of(await filter_work_pools(session, body), number)
        pools = page.items
        ids = [pool.id for pool in pools]
        active_slots = await pools_active_slots(session, pools)
        queues = await count_pool_queues(session, ids)
        online = await count_online_workers(session, ids, utcnow())
    return {
        "pools": [
            (pool, slots, queues.get(pool.id, 0), online.get(pool.id, 0))
            for pool, slots in zip(pools, active_slots, strict=True)
        ],
        "page": page,
        "live_poll": POLL_SECONDS,
    }


@routes.get("/work-pools/work-pool/{name}", name="work-pool")
@aiohttp_jinja2.template("work_pool.html")
async def work_pool_page(request: web.Request) -> dict[str, Any]:
    name = request.match_info["name"]
    async with request.app[keys.database].read_sessions() as session:
        pool, active_slots = await read_pool_with_slots(session, name)
        queues = await filter_pool_queues(
            session, name, WorkQueueFilterBody.model_validate({"limit": SHOWN})
        )
        workers = await filter_workers(
            session, name, WorkerFilterBody.model_validate({"limit": SHOWN})
        )
    now = utcnow()
    return {
        "pool": pool,
        "active_slots": active_slots,
        "queues": queues,
        "workers": [(worker, is_online(worker, now)) for worker in workers],
        "shown": SHOWN,
        # Flow-run events name their pool: runs taking the pool's slots show at once.
        "live_resources": [f"prefect.work-pool.{pool.id}"],
        "live_poll": POLL_SECONDS,
    }
