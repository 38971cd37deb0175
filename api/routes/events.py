"""The events API: `/api/events/in` takes client events, `/api/events/out` streams them,
`/api/events/filter` and `/api/events/count-by/{countable}` read the stored ones.

In Prefect 3 the client reports every task-run state as an event on `/events/in`, one JSON
text frame each, with no acknowledgement but websocket pings; on reconnect it resends what
was not confirmed, so events are deduplicated by id (here per socket, and in the database
for good). Runners and Prefect workers subscribe on `/events/out` to learn of cancellations.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from typing import Any
from uuid import UUID

from aiohttp import WSCloseCode, WSMsgType, web
from pydantic import ValidationError

from api import keys
from api.auth import refuse_socket_token
from api.errors import REDIS_UNAVAILABLE
from api.openapi import documented
from api.requests import read_body
from api.responses import json_model, json_models
from models.events.backfill import read_backfill_events
from models.events.counting import count_events
from models.events.queries import EventPageRead, read_event_page, read_next_event_page
from models.events.subscriptions import EventFilter
from models.messages.event_batches import queued_event
from models.schemas.event_filters import (
    Countable,
    EventCount,
    EventCountBody,
    EventFilterBody,
    EventPage,
)
from models.schemas.events import event_frame, is_task_run_state_event
from models.schemas.unstorable_values import describe_place, find_unstorable_value

logger = logging.getLogger(__name__)
routes = web.RouteTableDef()

#: Event ids one socket remembers to drop a resent event before it reaches Redis.
RECENT_IDS_PER_SOCKET = 10_000
#: Seconds a client has to send its auth and filter frames.
HANDSHAKE_SECONDS = 10.0


async def first_text_frame(socket: web.WebSocketResponse) -> Any:
    """The next text frame as JSON, answering pings that come before it."""
    async with asyncio.timeout(HANDSHAKE_SECONDS):
        while True:
            message = await socket.receive()
            if message.type is WSMsgType.PING:
                await socket.pong(message.data)
            elif message.type is WSMsgType.TEXT:
                return json.loads(message.data)
            elif message.type is not WSMsgType.PONG:
                raise ValueError("Expected a text frame")


async def authenticate(socket: web.WebSocketResponse) -> bool:
    """Read the `{"type": "auth", "token": ...}` frame and answer `auth_success`, or
    `auth_failure` and close (1008) when the token is refused (see `api.auth`)."""
    try:
        message = await first_text_frame(socket)
    except (TimeoutError, ValueError):
        message = None
    if not isinstance(message, dict) or message.get("type") != "auth":
        reason: str | None = "Expected an auth frame"
    else:
        reason = await refuse_socket_token(message.get("token"))
    if reason is not None:
        await socket.send_json({"type": "auth_failure", "reason": reason})
        await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=reason[:120].encode())
        return False
    await socket.send_json({"type": "auth_success"})
    return True


@routes.get("/api/events/in")
async def events_in(request: web.Request) -> web.WebSocketResponse:
    # Pings are answered by hand, only once every event received before them is on Redis:
    # the pong is the client's only confirmation, after which it forgets the events.
    socket = web.WebSocketResponse(protocols=("prefect",), heartbeat=None, autoping=False)
    await socket.prepare(request)
    if not await authenticate(socket):
        return socket
    outbox, hub = request.app[keys.outbox], request.app[keys.events_hub]
    recent: OrderedDict[UUID, None] = OrderedDict()
    # The messages holding events received since the last pong: one future per message,
    # not per event (events arriving within a few milliseconds share a message).
    unconfirmed: list[asyncio.Future[None]] = []
    try:
        async for message in socket:
            if message.type is WSMsgType.PING:
                await confirm(unconfirmed)
                await socket.pong(message.data)
                continue
            if message.type is not WSMsgType.TEXT:
                if message.type is WSMsgType.BINARY:
                    await socket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"Text only")
                continue
            try:
                event = event_frame.validate_json(message.data)
            except ValidationError as error:
                # A frame that is not an event ends the socket with the reason. Events before
                # it are queued; the client resends only what no pong confirmed.
                reason = f"Not an event: {error.errors()[0]['msg']}"[:120]
                await confirm(unconfirmed)
                await socket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=reason.encode())
                break
            # The same rule as every request's (`api.unstorable_values`), or the event would
            # fail in PostgreSQL beside the events coalesced with it.
            if (found := find_unstorable_value(message.data)) is not None:
                reason = f"Not an event: {describe_place(*found)}"[:120]
                await confirm(unconfirmed)
                await socket.close(code=WSCloseCode.UNSUPPORTED_DATA, message=reason.encode())
                break
            if event["id"] in recent:
                continue
            recent[event["id"]] = None
            if len(recent) > RECENT_IDS_PER_SOCKET:
                recent.popitem(last=False)
            # The frame travels on as the client wrote it (see `QueuedEvent`).
            frame = queued_event(message.data)
            hub.publish_soon(frame)
            # A task-run state goes to the actor that stores its rows and the event itself
            # in one transaction; any other event to the one that stores events.
            if is_task_run_state_event(event):
                note(unconfirmed, outbox.task_run_events.put([frame]))
            else:
                note(unconfirmed, outbox.events.put([frame]))
            # Back-pressure: while Redis lags, stop reading (the client's sends then wait)
            # instead of holding ever more events in memory.
            await outbox.events.room()
            await outbox.task_run_events.room()
    except REDIS_UNAVAILABLE as error:
        # Nothing since the last pong is confirmed, and the Prefect client resends what is
        # unconfirmed on its next socket: 1013 (try again later) loses nothing.
        logger.warning("Closing an events socket: Redis unavailable (%s).", type(error).__name__)
        unconfirmed.clear()
        await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"Redis unavailable")
    finally:
        # The client has gone or been told: what Redis did not take stays unconfirmed.
        with contextlib.suppress(*REDIS_UNAVAILABLE):
            await confirm(unconfirmed)
    return socket


def note(unconfirmed: list[asyncio.Future[None]], sent: asyncio.Future[None]) -> None:
    """Remember the future of a message holding an unconfirmed event, once per message."""
    if sent not in unconfirmed[-2:]:  # the two coalescers alternate; older ones are full
        unconfirmed.append(sent)


async def confirm(unconfirmed: list[asyncio.Future[None]]) -> None:
    """Wait until every event received so far is on Redis (a failure closes the socket)."""
    if unconfirmed:
        sent = list(unconfirmed)
        unconfirmed.clear()
        await asyncio.gather(*sent)


@routes.get("/api/events/out")
async def events_out(request: web.Request) -> web.WebSocketResponse:
    socket = web.WebSocketResponse(protocols=("prefect",), heartbeat=None, autoping=True)
    await socket.prepare(request)
    if not await authenticate(socket):
        return socket
    try:
        frame = await first_text_frame(socket)
        if not isinstance(frame, dict) or frame.get("type") != "filter":
            raise ValueError("Expected a filter frame")
        wanted = EventFilter.model_validate(frame.get("filter") or {})
    except (TimeoutError, ValueError) as error:  # ValidationError is a ValueError
        reason = str(error).splitlines()[0][:120] or "Expected a filter frame"
        await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=reason.encode())
        return socket

    hub = request.app[keys.events_hub]
    subscriber = hub.subscribe(wanted)  # before the backfill: nothing falls between the two
    sent: set[str] = set()
    try:
        if frame.get("backfill", True):
            for event in await backfill(request, wanted):
                sent.add(str(event["id"]))
                await socket.send_json({"type": "event", "event": event})
        reader = asyncio.create_task(drain_client_frames(socket))
        try:
            while not socket.closed and not reader.done():
                getter = asyncio.create_task(subscriber.queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                event = getter.result()
                if str(event.get("id")) in sent:
                    continue
                await socket.send_json({"type": "event", "event": event}, dumps=dumps)
                if subscriber.overflowed:
                    await socket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"Too slow")
                    break
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
    finally:
        hub.unsubscribe(subscriber)
    return socket


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)


async def drain_client_frames(socket: web.WebSocketResponse) -> None:
    """Read (and ignore) what the client sends after its filter, until it closes."""
    async for _ in socket:
        pass


async def backfill(request: web.Request, wanted: EventFilter) -> list[dict[str, Any]]:
    """Stored events since the filter's `since` that match it, oldest first."""
    async with request.app[keys.database].read_sessions() as session:
        return await read_backfill_events(session, wanted)


@routes.post("/api/events/filter")
@documented(
    "Stored events matching a filter, newest first unless it says ASC, a page at a time.",
    tag="Events",
    body=EventFilterBody,
    response=EventPage,
)
async def read_events(request: web.Request) -> web.Response:
    body = await read_body(request, EventFilterBody)
    async with request.app[keys.database].read_sessions() as session:
        page = await read_event_page(session, body.filter, body.limit)
    return event_page(request, page)


@routes.get("/api/events/filter/next")
@documented(
    "The next page of a filter's events, from the `next_page` URL of the page before.",
    tag="Events",
    response=EventPage,
    query={"page-token": "the token in the `next_page` URL"},
)
async def read_next_events(request: web.Request) -> web.Response:
    token = request.query.get("page-token")
    if token is None:
        raise web.HTTPUnprocessableEntity(reason="Query parameter page-token is required")
    async with request.app[keys.database].read_sessions() as session:
        page = await read_next_event_page(session, token)
    return event_page(request, page)


def event_page(request: web.Request, page: EventPageRead) -> web.Response:
    next_page = None
    if page.next_token is not None:
        next_page = f"{request.url.origin()}/api/events/filter/next?page-token={page.next_token}"
    return json_model(
        EventPage.model_validate(
            {"events": page.events, "total": page.total, "next_page": next_page}
        )
    )


@routes.post("/api/events/count-by/{countable}")
@documented(
    "Matching events counted by time bucket (`day`, `time`), name (`event`) or `resource`.",
    tag="Events",
    body=EventCountBody,
    response=EventCount,
    response_is_list=True,
)
async def count_events_by(request: web.Request) -> web.Response:
    try:
        countable = Countable(request.match_info["countable"])
    except ValueError:
        choices = ", ".join(repr(countable.value) for countable in Countable)
        raise web.HTTPUnprocessableEntity(reason=f"countable must be one of {choices}") from None
    body = await read_body(request, EventCountBody)
    async with request.app[keys.database].read_sessions() as session:
        counts = await count_events(
            session, body.filter, countable, body.time_unit, body.time_interval
        )
    return json_models(counts, EventCount)
