"""Tag concurrency limits, Prefect's v1 API (`/api/concurrency_limits/`).

There is no v1 table: a tag's limit is the global limit named `tag:<tag>`, so the task
engine's lease calls on `tag:<tag>` and these routes see the same slots. `active_slots`
lists the task runs whose leases hold them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from actors.counters import expire_concurrency_leases
from actors.enqueue import enqueue
from api import keys
from api.openapi import documented
from api.requests import path_uuid, read_body
from api.responses import json_model, json_models, no_content
from models.concurrency.leases import (
    V1_LEASE_DURATION,
    create_lease,
    has_expired_leases,
    release_limit_leases,
    task_run_holders,
)
from models.concurrency.limits import (
    TAG_PREFIX,
    delete_limit,
    list_limits,
    read_limit,
    tag_limit_name,
    update_limit,
    upsert_tag_limit,
)
from models.concurrency.slots import acquire_slots, read_limits_by_name, take_slots
from models.concurrency.tables import ConcurrencyLimit
from models.db.types import utcnow
from models.errors import ObjectNotFound, SlotsUnavailable
from models.schemas.concurrency_limits import (
    ConcurrencyLimitFilterBody,
    MinimalLimitResponse,
    TagLimitCreate,
    TagLimitReset,
    TagLimitResponse,
    TagSlotsRelease,
    TagSlotsRequest,
)

routes = web.RouteTableDef()

TAG = "Tag concurrency limits"
#: What the reference answers (404) for an unknown tag limit.
NOT_FOUND_DETAIL = "Concurrency limit not found"


async def tag_limit_responses(
    request: web.Request, limits: Sequence[ConcurrencyLimit]
) -> list[TagLimitResponse]:
    """The limits in v1 shape, each with the task runs holding its slots.

    Sends the expiry sweep when one of them still counts an expired lease.
    """
    ids = [limit.id for limit in limits]
    async with request.app[keys.database].read_sessions() as session:
        holders = await task_run_holders(session, ids)
        expired = await has_expired_leases(session, ids, utcnow())
    if expired:
        await enqueue(expire_concurrency_leases)
    return [
        TagLimitResponse(
            id=limit.id,
            created=limit.created,
            updated=limit.updated,
            tag=limit.name.removeprefix(TAG_PREFIX),
            concurrency_limit=limit.limit,
            active_slots=holders.get(limit.id, []),
        )
        for limit in limits
    ]


@routes.post("/api/concurrency_limits/")
@documented("Create a tag's limit, or change it (201 created, 200 changed).", tag=TAG,
            body=TagLimitCreate, response=TagLimitResponse, status=201)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    body = await read_body(request, TagLimitCreate)
    async with request.app[keys.database].sessions.begin() as session:
        limit, created = await upsert_tag_limit(session, body.tag, body.concurrency_limit, utcnow())
    [response] = await tag_limit_responses(request, [limit])
    return json_model(response, status=201 if created else 200)


@routes.get("/api/concurrency_limits/{id}")
@documented("A tag limit by id.", tag=TAG, response=TagLimitResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        limit = await read_limit(session, path_uuid(request), NOT_FOUND_DETAIL)
    if not limit.name.startswith(TAG_PREFIX):  # a global limit, not a tag's
        raise ObjectNotFound(NOT_FOUND_DETAIL)
    [response] = await tag_limit_responses(request, [limit])
    return json_model(response)


@routes.get("/api/concurrency_limits/tag/{tag}")
@documented("A tag limit by tag.", tag=TAG, response=TagLimitResponse)
async def read_by_tag(request: web.Request) -> web.Response:
    name = tag_limit_name(request.match_info["tag"])
    async with request.app[keys.database].read_sessions() as session:
        limit = await read_limit(session, name, NOT_FOUND_DETAIL)
    [response] = await tag_limit_responses(request, [limit])
    return json_model(response)


@routes.post("/api/concurrency_limits/filter")
@documented("A page of tag limits, in tag order.", tag=TAG, body=ConcurrencyLimitFilterBody,
            response=TagLimitResponse, response_is_list=True)  # fmt: skip
async def filter_tag_limits(request: web.Request) -> web.Response:
    body = await read_body(request, ConcurrencyLimitFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        limits = await list_limits(session, offset=body.offset, limit=body.limit, tags_only=True)
    return json_models(await tag_limit_responses(request, limits), TagLimitResponse)


@routes.delete("/api/concurrency_limits/{id}")
@documented("Delete a tag limit by id.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    limit_id = path_uuid(request)
    async with request.app[keys.database].sessions.begin() as session:
        limit = await read_limit(session, limit_id, NOT_FOUND_DETAIL)
        if not limit.name.startswith(TAG_PREFIX):
            raise ObjectNotFound(NOT_FOUND_DETAIL)
        await delete_limit(session, limit_id, NOT_FOUND_DETAIL)
    return no_content()


@routes.delete("/api/concurrency_limits/tag/{tag}")
@documented("Delete a tag limit by tag.", tag=TAG, status=204)
async def remove_by_tag(request: web.Request) -> web.Response:
    name = tag_limit_name(request.match_info["tag"])
    async with request.app[keys.database].sessions.begin() as session:
        await delete_limit(session, name, NOT_FOUND_DETAIL)
    return no_content()


@routes.post("/api/concurrency_limits/tag/{tag}/reset")
@documented("Free every slot of a tag limit, then hold one for each task run listed.", tag=TAG,
            body=TagLimitReset, status=204)  # fmt: skip
async def reset(request: web.Request) -> web.Response:
    body = await read_body(request, TagLimitReset)
    name = tag_limit_name(request.match_info["tag"])
    now = utcnow()
    async with request.app[keys.database].sessions.begin() as session:
        limit = await read_limit(session, name, NOT_FOUND_DETAIL)
        await release_limit_leases(session, limit.id, now)
        await update_limit(session, limit.id, {"active_slots": 0}, now)  # lease-less ones too
        for task_run_id in body.slot_override or []:
            # An override is the operator's word: one slot per task run listed, as long as
            # the limit has room (as Prefect, the ones past the limit are left out).
            if await take_slots(session, [limit.id], 1, now.timestamp()):
                holder = {"type": "task_run", "id": str(task_run_id)}
                await create_lease(session, [limit.id], 1, V1_LEASE_DURATION, now, holder)
    return no_content()


@routes.post("/api/concurrency_limits/increment")
@documented("Take one slot of each tag's limit for a task run, or 423 with a Retry-After.",
            tag=TAG, body=TagSlotsRequest, response=MinimalLimitResponse,
            response_is_list=True)  # fmt: skip
async def increment(request: web.Request) -> web.Response:
    body = await read_body(request, TagSlotsRequest)
    names = [tag_limit_name(tag) for tag in body.names]
    now = utcnow()
    holder = {"type": "task_run", "id": str(body.task_run_id)}
    async with request.app[keys.database].sessions.begin() as session:
        acquisition = await acquire_slots(session, names, 1, "concurrency", now)
        if acquisition.taken:  # v1 clients cannot renew: the lease lasts until released
            await create_lease(session, acquisition.taken, 1, V1_LEASE_DURATION, now, holder)
    if acquisition.retry_after_seconds is not None:
        raise SlotsUnavailable(acquisition.retry_after_seconds)
    taken = set(acquisition.taken)
    return json_models(
        [
            MinimalLimitResponse.from_limit(limit, limit.name.removeprefix(TAG_PREFIX))
            for limit in acquisition.limits
            if limit.id in taken
        ],
        MinimalLimitResponse,
    )


@routes.post("/api/concurrency_limits/decrement")
@documented("Give back the slots a task run holds on each tag's limit.", tag=TAG,
            body=TagSlotsRelease, response=MinimalLimitResponse,
            response_is_list=True)  # fmt: skip
async def decrement(request: web.Request) -> web.Response:
    body = await read_body(request, TagSlotsRelease)
    names = [tag_limit_name(tag) for tag in body.names]
    now = utcnow()
    async with request.app[keys.database].sessions.begin() as session:
        limits = await read_limits_by_name(session, names)
        for limit in limits:
            await release_limit_leases(session, limit.id, now, holder_id=body.task_run_id)
    return json_models([MinimalLimitResponse.from_limit(limit) for limit in limits],
                       MinimalLimitResponse)  # fmt: skip
