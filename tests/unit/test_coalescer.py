"""The coalescer: items put together travel in one message; producers wait while Redis lags."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from actors.enqueue import Coalescer


class SlowQueue:
    """Stands in for an actor: records each message sent, and sends only when let through."""

    def __init__(self) -> None:
        self.messages: list[list[Any]] = []
        self.open = threading.Event()

    def send(self, items: list[Any]) -> None:
        self.open.wait(timeout=30)
        self.messages.append(items)


async def test_items_put_within_the_window_share_one_message_and_one_future() -> None:
    queue = SlowQueue()
    queue.open.set()
    coalescer: Coalescer[int] = Coalescer(queue, window_seconds=0.01)  # type: ignore[arg-type]
    futures = [coalescer.put([number]) for number in range(5)]
    assert all(future is futures[0] for future in futures)
    await futures[0]
    assert queue.messages == [[0, 1, 2, 3, 4]]


async def test_room_waits_while_too_many_items_are_unsent() -> None:
    queue = SlowQueue()
    coalescer: Coalescer[int] = Coalescer(
        queue,  # type: ignore[arg-type]
        window_seconds=0.001,
        max_items=10,
        max_unsent=20,
    )
    sent = [coalescer.put(list(range(10))) for _ in range(3)]  # 30 unsent: over the limit
    waiting = asyncio.create_task(coalescer.room())
    await asyncio.sleep(0)  # let it start waiting; it must not finish while Redis lags
    assert not waiting.done()
    queue.open.set()  # Redis takes messages again
    await asyncio.wait_for(waiting, timeout=30)
    await asyncio.gather(*sent)
    assert coalescer.unsent == 0 and sum(map(len, queue.messages)) == 30


async def test_a_lone_item_goes_at_once_and_the_next_waits_out_the_window() -> None:
    queue = SlowQueue()
    queue.open.set()
    coalescer: Coalescer[int] = Coalescer(queue, window_seconds=600)  # type: ignore[arg-type]
    # A quiet server: the first item does not wait for the (ten-minute) window.
    await asyncio.wait_for(coalescer.put([1]), timeout=30)
    assert queue.messages == [[1]]
    # Right after a message, items gather until the window since it has passed.
    later = coalescer.put([2])
    coalescer.put([3])
    for _ in range(20):
        await asyncio.sleep(0)
    assert not later.done() and queue.messages == [[1]]
    await coalescer.close()  # shutting down sends what gathered
    assert queue.messages == [[1], [2, 3]]
