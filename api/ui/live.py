"""The live stream pages listen to: server-sent events naming what changed.

A page opens `/ui/live?resource=<id prefix>` (several allowed) and gets one `change` message
per event about those resources (a flow run's new state, a task run's, a deployment paused).
It then fetches itself again and swaps the regions marked `data-live` (static/live.js), so the
page never holds a second copy of the rendering. Events come from the events hub every web
process already listens to; nothing here reads the database.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Final

import orjson
from aiohttp import web
from aiohttp_sse import sse_response

from api import keys
from models.db.types import utcnow
from models.events.subscriptions import EventFilter, OccurredFilter, ResourceFilter

routes = web.RouteTableDef()

#: Seconds between keep-alive comments, so that proxies keep an idle stream open.
PING_SECONDS: Final = 15
#: How far back an event may have occurred and still be news: an event reaches the hub a
#: moment after it occurred, and the page was rendered before the stream opened.
LATE_EVENT: Final = timedelta(minutes=5)
#: Resource prefixes one stream may ask for at the most.
MAX_RESOURCES: Final = 20


@routes.get("/ui/live")
async def stream_changes(request: web.Request) -> web.StreamResponse:
    prefixes = request.query.getall("resource", [])[:MAX_RESOURCES]
    if not prefixes:
        raise web.HTTPBadRequest(reason="name at least one resource to follow")
    wanted = EventFilter(
        occurred=OccurredFilter(since=utcnow() - LATE_EVENT),
        any_resource=ResourceFilter(id_prefix=prefixes),
    )
    hub = request.app[keys.events_hub]
    subscriber = hub.subscribe(wanted)
    try:
        async with sse_response(request, ping_interval=PING_SECONDS) as stream:
            while stream.is_connected() and not subscriber.overflowed:
                try:
                    event = await asyncio.wait_for(subscriber.queue.get(), PING_SECONDS)
                except TimeoutError:
                    continue
                change = {
                    "event": event.get("event"),
                    "resource": (event.get("resource") or {}).get("prefect.resource.id"),
                }
                await stream.send(orjson.dumps(change).decode(), event="change")
            return stream
    finally:
        hub.unsubscribe(subscriber)
