"""`Server-Timing: page;dur=<ms>` on every page (error pages included) and on nothing else."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient

from api.app import create_app
from api.ui.page_errors import page_errors
from api.ui.server_timing import server_timing, timing_header
from models.db.database import Database
from models.settings import Settings

MakeClient = Callable[..., Awaitable[TestClient]]
HEADER = re.compile(r"page;dur=(\d+\.\d)")


def page_milliseconds(headers: object) -> float:
    value = headers.get("Server-Timing")  # type: ignore[attr-defined]
    assert value is not None, "no Server-Timing header"
    matched = HEADER.fullmatch(value)
    assert matched, value
    return float(matched.group(1))


def test_the_header_is_milliseconds_with_one_decimal() -> None:
    assert timing_header(0.0123456) == "page;dur=12.3"
    assert timing_header(1.5) == "page;dur=1500.0"


async def test_pages_and_error_pages_carry_it_the_api_and_static_files_do_not(
    settings: Settings, database: Database, aiohttp_client: MakeClient
) -> None:
    client = await aiohttp_client(create_app(settings))
    about = await client.get("/about")
    assert about.status == 200
    assert page_milliseconds(about.headers) > 0
    missing = await client.get("/no-such-page")
    assert missing.status == 404
    assert "Not found" in await missing.text()
    page_milliseconds(missing.headers)
    health = await client.get("/api/health")
    assert health.status == 200
    assert "Server-Timing" not in health.headers
    stylesheet = await client.get("/ui/static/app.css")
    assert stylesheet.status == 200
    assert "Server-Timing" not in stylesheet.headers


async def test_it_measures_the_time_the_page_took(aiohttp_client: MakeClient) -> None:
    async def slow_page(request: web.Request) -> web.Response:
        # 80 ms of the page's own work, on the clock the middleware reads: an event loop's
        # timer may wake a sleep a fraction of a millisecond early (uvloop's does).
        started = time.perf_counter()
        while time.perf_counter() - started < 0.08:
            pass
        return web.Response(text="done")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/slow")

    app = web.Application(middlewares=[server_timing, page_errors])
    app.router.add_get("/slow", slow_page)
    app.router.add_get("/moved", moved)
    client = await aiohttp_client(app)
    slow = await client.get("/slow")
    assert 80 <= page_milliseconds(slow.headers) < 5_000
    redirect = await client.get("/moved", allow_redirects=False)
    assert redirect.status == 302
    assert page_milliseconds(redirect.headers) < 80
