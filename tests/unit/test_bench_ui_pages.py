"""bench_ui_pages.py's measurement of one page: the Server-Timing figures it reads, the
redirect it follows, the page it does not have, and the table the results make."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

from bench.bench_ui_pages import measure_page, page_path, render_table

MakeServer = Callable[..., Awaitable[TestServer]]


async def site_of(aiohttp_server: MakeServer) -> str:
    timings = iter(range(1, 1000))

    async def timed(request: web.Request) -> web.Response:
        # A server time the test knows: 1, 2, 3... ms, one per request.
        return web.Response(text="x" * 2048, headers={"Server-Timing": f"page;dur={next(timings)}"})

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/timed")

    app = web.Application()
    app.router.add_get("/timed", timed)
    app.router.add_get("/moved", moved)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def test_the_server_figures_are_the_headers_of_the_measured_requests(
    aiohttp_server: MakeServer,
) -> None:
    site = await site_of(aiohttp_server)
    result = await measure_page(site, "/timed", "/timed", requests=10, warmup=3)
    # The first request looks for a redirect and three warm up: the measured ones are 5...14.
    assert result["server_ms"] == {"p50": 9.5, "p95": 14.0, "p99": 14.0, "max": 14.0}
    assert result["statuses"] == {"200": 10}
    assert result["bytes"] == 2048
    assert result["within_goal"] is True
    assert result["client_ms"]["p50"] > 0
    slow = await measure_page(site, "/timed", "/timed", requests=2, warmup=0, goal_ms=10)
    assert slow["within_goal"] is False


async def test_a_redirect_is_measured_where_it_leads_a_missing_page_not_at_all(
    aiohttp_server: MakeServer,
) -> None:
    site = await site_of(aiohttp_server)
    moved = await measure_page(site, "/moved", "/moved", requests=4, warmup=1)
    assert (moved["redirected_from"], moved["path"]) == ("/moved", "/timed")
    assert moved["statuses"] == {"200": 4}
    missing = await measure_page(site, "/gone", "/gone", requests=30, warmup=3)
    assert missing["statuses"] == {"404": 1}
    assert missing["server_ms"]["p99"] is None
    assert missing["within_goal"] is None


def test_the_table_says_which_pages_meet_the_goal() -> None:
    def result(page: str, p99: float | None, **more: Any) -> dict[str, Any]:
        figures = {"p50": p99 and p99 / 2, "p95": p99, "p99": p99, "max": p99}
        return {"page": page, "path": page, "database": "sqlite", "server_ms": figures,
                "client_ms": figures, "bytes": 4096 if p99 else None, "goal_ms": 300.0,
                "within_goal": None if p99 is None else p99 < 300, "statuses": {"200": 30},
                **more}  # fmt: skip

    table = render_table([
        result("/runs", 120.0),
        result("/", 450.0, redirected_from="/", path="/dashboard"),
        result("/flows", None, statuses={"404": 1}),
    ])  # fmt: skip
    rows = table.splitlines()[2:]
    assert rows[0] == "| `/runs` | sqlite | 60.0 / 120.0 / 120.0 / 120.0 | 60.0 / 120.0 | 4 | yes |"
    assert "(→ `/dashboard`)" in rows[1] and rows[1].endswith("| **no** |")
    assert rows[2].endswith("| - | - | - | - (1 x 404) |")


def test_page_paths_name_the_detail_runs_ids() -> None:
    ids = {"flow_run": "f-1", "task_run": "t-2"}
    assert page_path("/runs/flow-run/{flow_run}", ids) == "/runs/flow-run/f-1"
    assert page_path("/runs/task-run/{task_run}", ids) == "/runs/task-run/t-2"
    assert page_path("/runs?state=FAILED", ids) == "/runs?state=FAILED"
