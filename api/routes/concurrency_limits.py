"""Global concurrency limits (`/api/v2/concurrency_limits/`): the limits, their slots, leases.

Acquisition is answered at once, from one short write transaction: the client waits on it.
A refusal is committed too (it counts in `denied_slots`) before the 423 goes out. Reading a
limit that still counts an expired lease sends the expiry sweep, so a dead holder's slots
come back as soon as anyone looks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID, uuid4

from aiohttp import web

from actors.counters import expire_concurrency_leases
from api import keys
from api.openapi import documented
from api.outbox import hurry
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models, json_value, no_content
from models.concurrency.decay import Occupancy
from models.concurrency.leases import (
    acquire_leased_slots,
    has_expired_leases,
    release_lease,
    renew_lease,
)
from models.concurrency.limits import (
    count_limits,
    create_limit,
    delete_limit,
    list_limits,
    read_limit,
    update_limit,
)
from models.concurrency.slots import acquire_slots, release_slots_by_name
from models.concurrency.tables import ConcurrencyLimit
from models.db.types import utcnow
from models.errors import LeaseGone, SlotsUnavailable
from models.schemas.concurrency_limits import (
    ConcurrencyLimitCreate,
    ConcurrencyLimitFilterBody,
    ConcurrencyLimitResponse,
    ConcurrencyLimitUpdate,
    LeasedSlotsRequest,
    LeaseRelease,
    LeaseRenewal,
    LeaseResponse,
    MinimalLimitResponse,
    SlotsRelease,
    SlotsRequest,
)

routes = web.RouteTableDef()

TAG = "Concurrency limits"


def limit_response(row: ConcurrencyLimit) -> ConcurrencyLimitResponse:
    """The limit with its counters decayed up to now."""
    return ConcurrencyLimitResponse.from_row(row, Occupancy.of(row).decayed(utcnow().timestamp()))


async def sweep_if_expired(request: web.Request, limits: Sequence[ConcurrencyLimit]) -> None:
    """Send the expiry sweep when one of these limits still counts an expired lease."""
    async with request.app[keys.database].read_sessions() as session:
        expired = await has_expired_leases(session, [limit.id for limit in limits], utcnow())
    if expired:
        await hurry(expire_concurrency_leases)


@routes.post("/api/v2/concurrency_limits/")
@documented("Create a global concurrency limit.", tag=TAG, body=ConcurrencyLimitCreate,
            response=ConcurrencyLimitResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, ConcurrencyLimitCreate)
    now = utcnow()
    values = body.model_dump() | {
        "created": now,
        "updated": now,
        "slots_decayed_at": now.timestamp(),
    }
    async with request.app[keys.database].sessions.begin() as session:
        limit = await create_limit(session, values)
    return json_model(limit_response(limit), status=201)


@routes.get("/api/v2/concurrency_limits/{id_or_name}")
@documented("A global concurrency limit by id or by name.", tag=TAG,
            response=ConcurrencyLimitResponse)  # fmt: skip
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        limit = await read_limit(session, request.match_info["id_or_name"])
    await sweep_if_expired(request, [limit])
    return json_model(limit_response(limit))


@routes.patch("/api/v2/concurrency_limits/{id_or_name}")
@documented("Change the fields sent (others stay as they are).", tag=TAG,
            body=ConcurrencyLimitUpdate, status=204)  # fmt: skip
async def update(request: web.Request) -> web.Response:
    changes = (await read_body(request, ConcurrencyLimitUpdate)).changes()
    async with request.app[keys.database].sessions.begin() as session:
        await update_limit(session, request.match_info["id_or_name"], changes, utcnow())
    return no_content()


@routes.delete("/api/v2/concurrency_limits/{id_or_name}")
@documented("Delete a global concurrency limit and the leases on it.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_limit(session, request.match_info["id_or_name"])
    return no_content()


@routes.post("/api/v2/concurrency_limits/filter")
@documented("A page of global concurrency limits, in name order.", tag=TAG,
            body=ConcurrencyLimitFilterBody, response=ConcurrencyLimitResponse,
            response_is_list=True)  # fmt: skip
async def filter_limits(request: web.Request) -> web.Response:
    body = await read_body(request, ConcurrencyLimitFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        limits = await list_limits(session, offset=body.offset, limit=body.limit)
    await sweep_if_expired(request, limits)
    return json_models([limit_response(limit) for limit in limits], ConcurrencyLimitResponse)


@routes.post("/api/v2/concurrency_limits/count")
@documented("How many global concurrency limits there are (a bare integer).", tag=TAG)
async def count(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        return json_value(await count_limits(session))


@routes.post("/api/v2/concurrency_limits/increment")
@documented("Take slots on every limit named, or 423 with a Retry-After (no lease).", tag=TAG,
            body=SlotsRequest, response=MinimalLimitResponse, response_is_list=True)  # fmt: skip
async def increment(request: web.Request) -> web.Response:
    body = await read_body(request, SlotsRequest)
    async with request.app[keys.database].sessions.begin() as session:
        acquisition = await acquire_slots(
            session,
            body.names,
            body.slots,
            body.mode,
            utcnow(),
            create_if_missing=bool(body.create_if_missing),
        )
    if acquisition.retry_after_seconds is not None:  # the refusal is committed: it counts
        raise SlotsUnavailable(acquisition.retry_after_seconds)
    limits = [MinimalLimitResponse.from_limit(limit) for limit in acquisition.limits]
    return json_models(limits, MinimalLimitResponse)


@routes.post("/api/v2/concurrency_limits/increment-with-lease")
@documented("Take slots under a lease that expires unless renewed, or 423 with a Retry-After.",
            tag=TAG, body=LeasedSlotsRequest, response=LeaseResponse)  # fmt: skip
async def increment_with_lease(request: web.Request) -> web.Response:
    body = await read_body(request, LeasedSlotsRequest)
    now = utcnow()
    holder = body.holder.model_dump(mode="json") if body.holder else None
    duration = timedelta(seconds=body.lease_duration)
    async with request.app[keys.database].sessions.begin() as session:
        acquisition, lease_id = await acquire_leased_slots(
            session,
            body.names,
            body.slots,
            body.mode,
            now,
            duration,
            holder,
            create_if_missing=bool(body.create_if_missing),
        )
    if acquisition.retry_after_seconds is not None:  # the refusal is committed: it counts
        raise SlotsUnavailable(acquisition.retry_after_seconds)
    limits = [MinimalLimitResponse.from_limit(limit) for limit in acquisition.limits]
    # No limit known: nothing is held, and the client, seeing no limits, renews nothing.
    return json_model(LeaseResponse(lease_id=lease_id or uuid4(), limits=limits))


@routes.post("/api/v2/concurrency_limits/decrement")
@documented("Give back slots taken without a lease.", tag=TAG, body=SlotsRelease,
            response=MinimalLimitResponse, response_is_list=True)  # fmt: skip
async def decrement(request: web.Request) -> web.Response:
    body = await read_body(request, SlotsRelease)
    async with request.app[keys.database].sessions.begin() as session:
        limits = await release_slots_by_name(
            session, body.names, body.slots, utcnow(), body.occupancy_seconds
        )
    return json_models([MinimalLimitResponse.from_limit(limit) for limit in limits],
                       MinimalLimitResponse)  # fmt: skip


@routes.post("/api/v2/concurrency_limits/decrement-with-lease")
@documented("Give back the slots of a lease (nothing happens for one already gone).", tag=TAG,
            body=LeaseRelease, status=204)  # fmt: skip
async def decrement_with_lease(request: web.Request) -> web.Response:
    body = await read_body(request, LeaseRelease)
    async with request.app[keys.database].sessions.begin() as session:
        await release_lease(session, body.lease_id, utcnow())
    return no_content()


@routes.post("/api/v2/concurrency_limits/leases/{lease_id}/renew")
@documented("Keep a lease alive for another lease_duration; 410 once it is gone.", tag=TAG,
            body=LeaseRenewal, status=204)  # fmt: skip
async def renew(request: web.Request) -> web.Response:
    lease_id: UUID = path_uuid(request, "lease_id")
    body = await read_body(request, LeaseRenewal)
    async with request.app[keys.database].sessions.begin() as session:
        renewed = await renew_lease(
            session, lease_id, timedelta(seconds=body.lease_duration), utcnow()
        )
    if not renewed:
        raise LeaseGone()
    return no_content()
