"""Dead letters through the API: list them (per queue), send them again, forget a queue's.

What `signalbox queue dead-letters`, `replay` and the dead-letter page do. A replay sends
messages, which is what the API may ask of the actors: it goes through
`actors.queue_admin.replay_dead_letters`, the function the CLI's replay calls.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from actors.queue_admin import replay_dead_letters
from api import keys
from api.openapi import documented
from api.requests import ID, path_uuid, read_body
from api.responses import json_model, json_models
from models.errors import InvalidRequest
from models.messages.dead_letters import list_dead_letters, purge_dead_letters
from models.schemas.dead_letters import (
    DeadLetterPurgeResponse,
    DeadLetterReplayBody,
    DeadLetterResponse,
    ReplayedDeadLetterResponse,
)

routes = web.RouteTableDef()

TAG = "Admin"
#: Dead letters one listing returns at the most.
MAX_LISTED: Final = 200


def queue_parameter(request: web.Request) -> str | None:
    queue_name = request.query.get("queue") or None
    if queue_name is not None and len(queue_name) > 64:
        raise InvalidRequest("queue: at most 64 characters")
    return queue_name


@routes.get("/api/admin/dead_letters")
@documented("Dead letters, most recent failure first, of one queue or all.", tag=TAG,
            response=DeadLetterResponse, response_is_list=True,
            query={"queue": "only this queue's", "limit": f"at most {MAX_LISTED}"})  # fmt: skip
async def read_dead_letters(request: web.Request) -> web.Response:
    try:
        limit = min(int(request.query.get("limit", "50")), MAX_LISTED)
    except ValueError:
        raise InvalidRequest("limit: an integer") from None
    async with request.app[keys.database].read_sessions() as session:
        letters = await list_dead_letters(
            session, queue_name=queue_parameter(request), limit=max(limit, 1)
        )
    responses = [DeadLetterResponse.model_validate(letter) for letter in letters]
    return json_models(responses, DeadLetterResponse)


@routes.post(f"/api/admin/dead_letters/{ID}/replay")
@documented("Send one dead letter to its queue again, with fresh retries (202).", tag=TAG,
            response=ReplayedDeadLetterResponse, status=202)  # fmt: skip
async def replay_one(request: web.Request) -> web.Response:
    [replayed] = await replay_dead_letters(request.app[keys.database], path_uuid(request))
    return json_model(ReplayedDeadLetterResponse.model_validate(replayed), status=202)


@routes.post("/api/admin/dead_letters/replay")
@documented("Send every dead letter (or one queue's) again, with fresh retries (202).",
            tag=TAG, body=DeadLetterReplayBody, response=ReplayedDeadLetterResponse,
            response_is_list=True, status=202)  # fmt: skip
async def replay_all(request: web.Request) -> web.Response:
    body = await read_body(request, DeadLetterReplayBody)
    replayed = await replay_dead_letters(request.app[keys.database], queue_name=body.queue_name)
    responses = [ReplayedDeadLetterResponse.model_validate(letter) for letter in replayed]
    return json_models(responses, ReplayedDeadLetterResponse, status=202)


@routes.delete("/api/admin/dead_letters")
@documented("Forget every dead letter of a queue (they are never replayed).", tag=TAG,
            response=DeadLetterPurgeResponse, query={"queue": "the queue (required)"})  # fmt: skip
async def purge(request: web.Request) -> web.Response:
    queue_name = queue_parameter(request)
    if queue_name is None:
        raise InvalidRequest("queue: name the queue whose dead letters to forget")
    async with request.app[keys.database].sessions.begin() as session:
        purged = await purge_dead_letters(session, queue_name)
    return json_model(DeadLetterPurgeResponse(queue_name=queue_name, purged=purged))
