"""The API's access log: one line per request with its request id (taken from X-Request-ID
or made up, and returned), the route's method, path and status; never a body or a query."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aiohttp import web

from api.access_log import access_log_options
from api.app import create_app
from models.db.database import Database
from models.logging_setup import configure_logging
from models.settings import Settings


@pytest.fixture
def log_lines(settings: Settings) -> Iterator[io.StringIO]:
    """The process's logging set up as `server api` does, in JSON, into a buffer."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(settings.model_copy(update={"log_format": "json"}), "api", stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def base_url(
    database: Database, settings: Settings, log_lines: io.StringIO
) -> AsyncIterator[str]:
    """The real API on a free port, with the access log `server api` uses."""
    runner = web.AppRunner(create_app(settings), **access_log_options())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def access_lines(stream: io.StringIO) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [line for line in lines if line["logger"] == "signalbox.access"]


async def test_the_callers_request_id_is_returned_and_logged_with_the_request(
    base_url: str, log_lines: io.StringIO
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base_url}/api/variables/?token=query-secret",
            json={"name": "deploy_token", "value": "body-secret-value"},
            headers={"X-Request-ID": "trace-1234"},
        ) as response,
    ):
        assert response.status == 201
        assert response.headers["X-Request-ID"] == "trace-1234"

    [line] = access_lines(log_lines)
    assert line["request_id"] == "trace-1234"
    assert (line["method"], line["path"], line["status"]) == ("POST", "/api/variables/", 201)
    assert isinstance(line["duration_ms"], float)
    everything = log_lines.getvalue()
    assert "body-secret-value" not in everything
    assert "query-secret" not in everything


async def test_a_request_without_an_id_or_with_a_forged_one_gets_a_fresh_one(
    base_url: str, log_lines: io.StringIO
) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base_url}/api/health") as plain:
            given = plain.headers["X-Request-ID"]
        async with http.get(
            f"{base_url}/api/flows/not-a-uuid", headers={"X-Request-ID": "x" * 500}
        ) as forged:
            assert forged.status == 404
            replaced = forged.headers["X-Request-ID"]

    assert len(given) == 32 and given != replaced
    assert replaced != "x" * 500
    first, second = access_lines(log_lines)
    assert (first["request_id"], second["request_id"]) == (given, replaced)
    assert second["status"] == 404
