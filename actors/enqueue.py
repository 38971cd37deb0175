"""Sending messages from the API's event loop: one at a time, or coalesced into batches.

Dramatiq's Redis client is synchronous and a send is a blocking round trip (a few thousand a
second from one process), so the API never sends on its event loop: it sends from a thread,
and what arrives within a few milliseconds for the same actor travels as one message.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from dramatiq import Actor

if TYPE_CHECKING:
    from actors.high_water import HighWaterMark

P = ParamSpec("P")
Item = TypeVar("Item")

#: The least time between two messages of one actor: items arriving sooner wait to share one.
COALESCE_WINDOW_SECONDS = 0.004
#: The most items one message carries; a fuller batch is sent at once.
MAX_BATCH_ITEMS = 2000
#: Items gathered or being sent beyond which `room()` makes producers wait (back-pressure).
MAX_UNSENT_ITEMS = 20_000


async def enqueue(actor: Actor[P, Any], *args: P.args, **kwargs: P.kwargs) -> None:
    """Send one message without blocking the event loop."""
    await asyncio.to_thread(actor.send, *args, **kwargs)


class Coalescer(Generic[Item]):
    """Gathers items for one actor into a single message per few milliseconds.

    The window opens at the last message, not at the first item: on a quiet server an item
    goes out on the next turn of the event loop, with whatever arrived in the same turn,
    and waits only when another message left less than a window ago. So a lone request
    pays no waiting time, and under load the actor still gets at most one message a window.

    `add` returns only once the message holding the items is on Redis (or raises if sending
    failed), so a caller that answers after `add` never acknowledges something not yet queued.
    `put` is the same without waiting: it returns the future of that message, for a caller
    that confirms many items at once. The actor takes one argument: the list of items.
    """

    def __init__(
        self,
        actor: Actor[[list[Item]], Any],
        *,
        window_seconds: float = COALESCE_WINDOW_SECONDS,
        max_items: int = MAX_BATCH_ITEMS,
        max_unsent: int = MAX_UNSENT_ITEMS,
        high_water: HighWaterMark | None = None,
    ) -> None:
        self.actor = actor
        self.window_seconds = window_seconds
        self.max_items = max_items
        self.max_unsent = max_unsent
        self.high_water = high_water  # None: Redis's memory is not looked at
        self.unsent = 0  # items gathered or in a send not finished yet
        self.items: list[Item] = []
        self.sent: asyncio.Future[None] | None = None
        self.timer: asyncio.Handle | None = None
        self.last_flush = float("-inf")  # the event loop's time of the last message
        self.sending: set[asyncio.Task[None]] = set()

    async def add(self, items: list[Item]) -> None:
        """Queue `items` (all in one message) and wait until that message is sent."""
        await asyncio.shield(self.put(items))

    def put(self, items: list[Item]) -> asyncio.Future[None]:
        """Queue `items` (all in one message); the future is done once that message is sent.

        Items put one after another share a message, hence a future, until it is full.
        """
        if len(self.items) + len(items) > self.max_items:
            self.flush()
        if self.sent is None:
            loop = asyncio.get_running_loop()
            self.sent = loop.create_future()
            wait = self.last_flush + self.window_seconds - loop.time()
            if wait > 0:
                self.timer = loop.call_later(wait, self.flush)
            else:
                self.timer = loop.call_soon(self.flush)
        self.items.extend(items)
        self.unsent += len(items)
        sent = self.sent
        if len(self.items) >= self.max_items:
            self.flush()
        return sent

    async def room(self) -> None:
        """Wait while more than `max_unsent` items are not on Redis yet, and while Redis uses
        more memory than its high-water mark (workers have not taken what waits there).

        Producers that read faster than the workers store (a websocket streaming events, log
        batches) call it before reading on: what they wait for stays bounded in memory, here
        and in Redis, and a client that sends too fast is slowed by its own socket. Below the
        mark a backlog of any length is no reason to wait: it is safe on Redis.
        """
        while self.unsent > self.max_unsent and self.sending:
            await asyncio.wait(self.sending, return_when=asyncio.FIRST_COMPLETED)
        if self.high_water is not None:
            await self.high_water.wait_below()

    def flush(self) -> None:
        """Send what has gathered now, in the background."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.sent is None:
            return
        items, sent = self.items, self.sent
        self.items, self.sent = [], None
        loop = asyncio.get_running_loop()
        self.last_flush = loop.time()
        task = loop.create_task(self.send(items, sent))
        self.sending.add(task)
        task.add_done_callback(self.sending.discard)

    async def send(self, items: list[Item], sent: asyncio.Future[None]) -> None:
        try:
            await asyncio.to_thread(self.actor.send, items)
        except Exception as error:  # every waiting caller learns the send failed
            if not sent.done():
                sent.set_exception(error)
        else:
            if not sent.done():
                sent.set_result(None)
        finally:
            self.unsent -= len(items)

    async def close(self) -> None:
        """Send what is left and wait for every send in flight."""
        self.flush()
        if self.sending:
            await asyncio.gather(*self.sending, return_exceptions=True)
