"""The fan-out of new events to `/api/events/out` subscribers, across every web process.

Events are published on one Redis pub/sub channel, by whichever process saw them (a web
process for client events, an actor for the events the server emits). Each web process
listens once and hands every event to the subscribers whose filter it matches. Pub/sub is
a latency path only: the event table is the record, and subscribers backfill from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import orjson
import redis.asyncio

from models.events.subscriptions import EventFilter
from models.events.tables import EVENTS_CHANNEL

logger = logging.getLogger(__name__)

#: Seconds new events gather before they are published together.
PUBLISH_WINDOW_SECONDS = 0.003
#: Events a slow subscriber may fall behind by before it is disconnected.
SUBSCRIBER_BACKLOG = 10_000


class Subscriber:
    """One `/api/events/out` socket: its filter and the events waiting to be sent to it."""

    def __init__(self, wanted: EventFilter) -> None:
        self.wanted = wanted
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(SUBSCRIBER_BACKLOG)
        self.overflowed = False

    def offer(self, event: dict[str, Any]) -> None:
        if self.overflowed or not self.wanted.matches(event):
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True  # the socket handler closes the connection


class EventsHub:
    """Publishes events to every web process and delivers them to local subscribers."""

    def __init__(self, client: redis.asyncio.Redis) -> None:
        self.client = client
        self.subscribers: set[Subscriber] = set()
        self.listener: asyncio.Task[None] | None = None
        self.unpublished: list[dict[str, Any] | orjson.Fragment] = []
        self.publisher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(EVENTS_CHANNEL)
        self.listener = asyncio.create_task(self.listen(pubsub))

    async def stop(self) -> None:
        if self.publisher is not None:
            await self.publisher
        if self.listener is not None:
            self.listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.listener

    async def publish(self, events: list[dict[str, Any] | orjson.Fragment]) -> None:
        if events:
            await self.client.publish(EVENTS_CHANNEL, encode_events(events))

    def publish_soon(self, event: dict[str, Any] | orjson.Fragment) -> None:
        """Publish within a few milliseconds, together with whatever else arrives meanwhile.

        `event` is a JSON document, or the JSON text of one (an `orjson.Fragment`).
        """
        self.unpublished.append(event)
        if self.publisher is None or self.publisher.done():
            self.publisher = asyncio.create_task(self.publish_gathered())

    async def publish_gathered(self) -> None:
        while self.unpublished:  # events that arrive while publishing go out next round
            await asyncio.sleep(PUBLISH_WINDOW_SECONDS)  # let the batch fill
            events, self.unpublished = self.unpublished, []
            try:
                await self.publish(events)
            except redis.RedisError as error:
                # Pub/sub only shortens subscribers' wait; the event table has every event.
                logger.warning("Could not publish %d events: %s", len(events), error)

    def subscribe(self, wanted: EventFilter) -> Subscriber:
        subscriber = Subscriber(wanted)
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def listen(self, pubsub: Any) -> None:
        try:
            while True:
                try:
                    async for message in pubsub.listen():
                        if not self.subscribers:  # nobody to hand them to: skip decoding
                            continue
                        for event in decode_events(message["data"]):
                            for subscriber in list(self.subscribers):
                                subscriber.offer(event)
                except redis.ConnectionError as error:
                    # Redis restarted: subscribers keep their sockets; resubscribe and go on.
                    logger.warning("Lost the events channel (%s); subscribing again.", error)
                    await asyncio.sleep(1)
                    await pubsub.subscribe(EVENTS_CHANNEL)
        finally:
            await pubsub.aclose()


def encode_events(events: list[dict[str, Any] | orjson.Fragment]) -> bytes:
    try:
        return orjson.dumps(events, default=str)
    except orjson.JSONEncodeError:  # integers beyond 64 bits, which orjson refuses
        parts = [
            orjson.dumps(event)  # the JSON text of a client's event, as it is
            if isinstance(event, orjson.Fragment)
            else json.dumps(event, default=str).encode()
            for event in events
        ]
        return b"[" + b",".join(parts) + b"]"


def decode_events(data: bytes) -> list[dict[str, Any]]:
    try:
        events: list[dict[str, Any]] = orjson.loads(data)
    except orjson.JSONDecodeError:  # NaN or Infinity, which a client may send in a payload
        events = json.loads(data)
    return events
