"""`/concurrency-limits`: global concurrency limits with the leases holding their slots, and
tag limits with the task runs holding theirs; creating, deleting and resetting go through
the REST API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import aiohttp_jinja2
from aiohttp import web

from api import keys
from api.routes.concurrency_limits import limit_response, sweep_if_expired
from api.routes.tag_concurrency_limits import tag_limit_responses
from models.concurrency.leases import read_limit_leases
from models.concurrency.limits import list_limits
from models.concurrency.tables import ConcurrencyLease
from models.db.types import utcnow

routes = web.RouteTableDef()

#: Limits of each kind shown (names in order); more than this and the page says so.
LIMITS_SHOWN: Final = 200
#: Leases listed under one limit; a busy rate limit may have many more.
LEASES_SHOWN: Final = 20
#: Seconds between refreshes: slots are taken and given back without an event.
POLL_SECONDS: Final = 5
#: Where a lease holder's own page is, by the holder's type (Prefect's holder types).
HOLDER_PAGES: Final = {
    "task_run": "/runs/task-run/{id}",
    "flow_run": "/runs/flow-run/{id}",
    "deployment": "/deployments/deployment/{id}",
}


@dataclass(frozen=True)
class LeaseLine:
    """A lease as a limit's row lists it: who holds how many slots, until when."""

    id: UUID
    slots: int
    expires_at: datetime
    expired: bool
    holder_type: str | None
    holder_id: str | None
    holder_page: str | None

    @classmethod
    def of(cls, lease: ConcurrencyLease, now: datetime) -> LeaseLine:
        holder = lease.holder or {}
        kind, holder_id = holder.get("type"), holder.get("id")
        page = HOLDER_PAGES.get(str(kind)) if holder_id else None
        return cls(
            id=lease.id,
            slots=lease.slots,
            expires_at=lease.expires_at,
            expired=lease.expires_at <= now,
            holder_type=str(kind) if kind else None,
            holder_id=str(holder_id) if holder_id else None,
            holder_page=page.format(id=holder_id) if page else None,
        )


@routes.get("/concurrency-limits", name="concurrency-limits")
@aiohttp_jinja2.template("concurrency_limits.html")
async def concurrency_limits_page(request: web.Request) -> dict[str, Any]:
    async with request.app[keys.database].read_sessions() as session:
        limits = await list_limits(session, offset=0, limit=LIMITS_SHOWN + 1, without_tags=True)
        tag_limits = await list_limits(session, offset=0, limit=LIMITS_SHOWN + 1, tags_only=True)
        leases = await read_limit_leases(
            session, [limit.id for limit in limits[:LIMITS_SHOWN]], LEASES_SHOWN
        )
    # As reading them through the API does: an expired lease still counted is swept now.
    await sweep_if_expired(request, limits[:LIMITS_SHOWN])
    now = utcnow()
    return {
        "limits": [
            (limit_response(limit), [LeaseLine.of(held, now) for held in leases.get(limit.id, [])])
            for limit in limits[:LIMITS_SHOWN]
        ],
        "tag_limits": await tag_limit_responses(request, tag_limits[:LIMITS_SHOWN]),
        "more_limits": len(limits) > LIMITS_SHOWN,
        "more_tag_limits": len(tag_limits) > LIMITS_SHOWN,
        "leases_shown": LEASES_SHOWN,
        "live_poll": POLL_SECONDS,
    }
