"""The event loop the API runs its requests on: uvloop's.

The API answers each request with a few callbacks and socket writes, and on its one core
that loop overhead is part of every transition. On uvloop's loop (libuv, in Cython) it
answered 14-19 % more transitions per second at 64 clients on SQLite and 5-14 % more on
PostgreSQL, and 5-13 % more 200-row reads (docs/performance.md, "uvloop"). It is an asyncio
loop: nothing else changes. The worker processes keep asyncio's own, where the loop carries
a few database calls per message and uvloop showed no gain in deliveries per second.
"""

from __future__ import annotations

import asyncio

import uvloop


def new_event_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop()
