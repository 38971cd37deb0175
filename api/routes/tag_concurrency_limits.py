"""Tag concurrency limits, Prefect's v1 API (`/api/concurrency_limits/`).

There is no v1 table: a tag's limit is the global limit named `tag:<tag>` (see
`models.concurrency.tag_limits`). `active_slots` lists the task runs whose leases hold them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web

from actors.counters import expire_concurrency_leases
from api import keys
from api.openapi import documented
from api.outbox import hurry
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models, no_content
from models.concurrency.limits import TAG_PREFIX, list_limits, upsert_tag_limit
from models.concurrency.tables import ConcurrencyLimit
from models.concurrency.tag_limits import (
    acquire_tag_slots,
    delete_tag_limit,
    read_tag_limit,
    read_tag_limit_holders,
    release_tag_slots,
    reset_tag_limit,
)
from models.db.types import utcnow
from models.errors import SlotsUnavailable
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


async def tag_limit_responses(
    request: web.Request, limits: Sequence[ConcurrencyLimit]
) -> list[TagLimitResponse]:
    """The limits in v1 shape, each with the task runs holding its slots.

    Sends the expiry sweep when one of them still counts an expired lease.
    """
    ids = [limit.id for limit in limits]
    async with request.app[keys.database].read_sessions() as session:
        holders, expired = await read_tag_limit_holders(session, ids, utcnow())
    if expired:
        await hurry(expire_concurrency_leases)
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


@routes.get(f"/api/concurrency_limits/{ID}")
@documented("A tag limit by id.", tag=TAG, response=TagLimitResponse)
async def read(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        limit = await read_tag_limit(session, path_uuid(request))
    [response] = await tag_limit_responses(request, [limit])
    return json_model(response)


@routes.get("/api/concurrency_limits/tag/{tag}")
@documented("A tag limit by tag.", tag=TAG, response=TagLimitResponse)
async def read_by_tag(request: web.Request) -> web.Response:
    async with request.app[keys.database].read_sessions() as session:
        limit = await read_tag_limit(session, request.match_info["tag"])
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


@routes.delete(f"/api/concurrency_limits/{ID}")
@documented("Delete a tag limit by id.", tag=TAG, status=204)
async def remove(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_tag_limit(session, path_uuid(request))
    return no_content()


@routes.delete("/api/concurrency_limits/tag/{tag}")
@documented("Delete a tag limit by tag.", tag=TAG, status=204)
async def remove_by_tag(request: web.Request) -> web.Response:
    async with request.app[keys.database].sessions.begin() as session:
        await delete_tag_limit(session, request.match_info["tag"])
    return no_content()


@routes.post("/api/concurrency_limits/tag/{tag}/reset")
@documented("Free every slot of a tag limit, then hold one for each task run listed.", tag=TAG,
            body=TagLimitReset, status=204)  # fmt: skip
async def reset(request: web.Request) -> web.Response:
    body = await read_body(request, TagLimitReset)
    async with request.app[keys.database].sessions.begin() as session:
        await reset_tag_limit(
            session, request.match_info["tag"], body.slot_override or [], utcnow()
        )
    return no_content()


@routes.post("/api/concurrency_limits/increment")
@documented("Take one slot of each tag's limit for a task run, or 423 with a Retry-After.",
            tag=TAG, body=TagSlotsRequest, response=MinimalLimitResponse,
            response_is_list=True)  # fmt: skip
async def increment(request: web.Request) -> web.Response:
    body = await read_body(request, TagSlotsRequest)
    async with request.app[keys.database].sessions.begin() as session:
        acquisition = await acquire_tag_slots(session, body.names, body.task_run_id, utcnow())
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
    async with request.app[keys.database].sessions.begin() as session:
        limits = await release_tag_slots(session, body.names, body.task_run_id, utcnow())
    return json_models([MinimalLimitResponse.from_limit(limit) for limit in limits],
                       MinimalLimitResponse)  # fmt: skip
