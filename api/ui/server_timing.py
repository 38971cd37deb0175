"""The `Server-Timing` header on every page: how long the server took to answer it.

`Server-Timing: page;dur=12.3` (milliseconds, from the request reaching the page's handler
to its rendered response) shows in a browser's developer tools beside the network time, and
`bench/bench_ui_pages.py` reads it to tell the server's share of a page's time from the
client's. The REST API, the static files and the live stream carry no such header.
"""

from __future__ import annotations

import time

from aiohttp import web

from api.ui.page_errors import Handler, is_page


def timing_header(seconds: float) -> str:
    """The header's value for a page that took `seconds`."""
    return f"page;dur={seconds * 1000:.1f}"


@web.middleware
async def server_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time the page, error pages and redirects included."""
    if not is_page(request):
        return await handler(request)
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # a redirect or an error raised as the answer
        answer.headers["Server-Timing"] = timing_header(time.perf_counter() - started)
        raise
    # A response already sent (streamed) can take no more headers.
    if not response.prepared:
        response.headers["Server-Timing"] = timing_header(time.perf_counter() - started)
    return response
