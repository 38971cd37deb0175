"""An HTTP server on 127.0.0.1 that answers like the nine channels' services and records
every request it gets.

Each service is known by its path (Slack `/services/...`, PagerDuty `/v2/enqueue`...) and
answers with that service's real success by default; a test scripts other answers (429 with
Retry-After, 500, 404, a hang) for the next requests to a path.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: The success each service really answers, by the start of its path.
SUCCESS: dict[str, tuple[int, str, dict[str, str]]] = {
    "/services/": (200, "ok", {"Content-Type": "text/plain"}),
    "/api/webhooks/": (
        200,
        json.dumps({"id": "1184000000000000001", "type": 0, "content": "..."}),
        {"Content-Type": "application/json"},
    ),
    "/mm/hooks/": (200, "ok", {"Content-Type": "text/plain"}),
    "/hooks/": (200, "ok", {"Content-Type": "text/plain"}),
    "/workflows/": (202, "", {}),
    "/webhookb2/": (200, "1", {"Content-Type": "text/plain"}),
    "/v2/alerts": (
        202,
        json.dumps({"result": "Request will be processed", "took": 0.302, "requestId": "req-42"}),
        {"Content-Type": "application/json"},
    ),
    "/v2/enqueue": (
        202,
        json.dumps({"status": "success", "message": "Event processed", "dedup_key": "echo"}),
        {"Content-Type": "application/json"},
    ),
    "/v3/mail/send": (202, "", {"X-Message-Id": "sg-message-7"}),
    "/2010-04-01/Accounts/": (
        201,
        json.dumps({"sid": "SM0123456789abcdef", "status": "queued", "num_segments": "1"}),
        {"Content-Type": "application/json"},
    ),
    "/custom": (200, "", {}),
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a status, a body and headers, after `delay` seconds (or never)."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_seconds: float = 0.0
    hang: bool = False


@dataclass(frozen=True)
class Received:
    """A request as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    #: When it arrived: monotonic, and wall-clock time (to compare with server timestamps).
    at: float
    wall: float
    #: The sender's port: requests on one kept-alive connection share it.
    client_port: int = 0

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


class Receiver:
    """The services' stand-in; `url` is its base, e.g. `http://127.0.0.1:41234`."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[Reply]] = {}
        self.received: list[Received] = []
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.stopping = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def script(self, path_prefix: str, *replies: Reply) -> None:
        """Answer the next requests to paths starting with `path_prefix` with `replies`."""
        self.scripts.setdefault(path_prefix, []).extend(replies)

    def requests_to(self, path_prefix: str) -> list[Received]:
        return [request for request in self.received if request.path.startswith(path_prefix)]

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        # No access log: it would print the paths, which hold the (fake) tokens.
        self.runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=0.1, access_log=None
        )
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self.stopping.set()
        if self.runner is not None:
            await self.runner.cleanup()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(
            Received(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=await request.read(),
                at=time.monotonic(),
                wall=time.time(),
                client_port=request.transport.get_extra_info("peername")[1]
                if request.transport is not None
                else 0,
            )
        )
        reply = self.next_reply(request.path)
        if reply.hang:
            await self.stopping.wait()  # never answers: the sender's timeout must end it
        if reply.delay_seconds:
            await asyncio.sleep(reply.delay_seconds)  # a slow service, not synchronisation
        return web.Response(status=reply.status, text=reply.body, headers=reply.headers)

    def next_reply(self, path: str) -> Reply:
        for prefix, replies in self.scripts.items():
            if path.startswith(prefix) and replies:
                return replies.pop(0)
        for prefix, (status, body, headers) in SUCCESS.items():
            if path.startswith(prefix):
                return Reply(status, body, dict(headers))
        return Reply(404, "no such service")
