"""Talking to receivers: a request described as data, sent with aiohttp, its answer never raised.

`send` returns what came back, or the error class in its place (a timeout, a refused
connection), so every try can be recorded and classified. It never follows redirects (a
moved webhook is a configuration problem, not something to chase), reads at most
MAX_ANSWER_BYTES of the answer, and never puts a URL or an exception's text anywhere: both
may carry the receiver's token.

A delivery whose private addresses are refused goes through a session of its own, whose
resolver checks every address a name resolves to; the connection is then made to the
address checked, never to a second resolution (DNS rebinding). IP literals skip resolvers,
so `send` checks those itself.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from dramatiq import Broker, Middleware, Worker

from actors.lifecycle import run_on_worker_loop
from models.notifications.destinations import RefusedDestination, check_public_address
from models.notifications.outcomes import REFUSED_DESTINATION, Answer

#: Bytes of an answer we read; the rest is not needed to classify or record it.
MAX_ANSWER_BYTES: Final = 64 * 1024
#: URL path segments at least this long are treated as tokens and kept out of records.
TOKEN_SEGMENT_CHARS: Final = 12
#: Sent with every request, so receivers can tell us apart.
USER_AGENT: Final = "Signalbox Notifications"


@dataclass(frozen=True)
class ChannelRequest:
    """One HTTP request a sender wants made, with what must never be recorded."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    params: Mapping[str, str] | None = None
    cookies: Mapping[str, str] | None = None
    timeout_seconds: float = 10.0
    #: The recipient, for channels sending one request per recipient.
    target: str | None = None
    #: Texts to blank out of what is recorded (credentials, URL tokens).
    secrets: tuple[str, ...] = ()


def json_request(
    url: str,
    payload: Any,
    *,
    timeout_seconds: float,
    headers: Mapping[str, str] | None = None,
    target: str | None = None,
    secrets: tuple[str, ...] = (),
    content_type: str = "application/json",
) -> ChannelRequest:
    """A POST of `payload` as JSON."""
    return ChannelRequest(
        method="POST",
        url=url,
        headers={"Content-Type": content_type, **(headers or {})},
        body=json.dumps(payload, ensure_ascii=False).encode(),
        timeout_seconds=timeout_seconds,
        target=target,
        secrets=(*secrets, *url_secrets(url)),
    )


def form_request(
    url: str,
    form: Mapping[str, str],
    *,
    timeout_seconds: float,
    headers: Mapping[str, str] | None = None,
    target: str | None = None,
    secrets: tuple[str, ...] = (),
) -> ChannelRequest:
    """A POST of `form` as application/x-www-form-urlencoded."""
    return ChannelRequest(
        method="POST",
        url=url,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        body=urlencode(form).encode(),
        timeout_seconds=timeout_seconds,
        target=target,
        secrets=(*secrets, *url_secrets(url)),
    )


def url_secrets(url: str) -> tuple[str, ...]:
    """The parts of a URL that may be credentials: the whole URL, long path segments, the
    query's values and any password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return (url,)
    found = [url, parts.query]
    found += [segment for segment in parts.path.split("/") if len(segment) >= TOKEN_SEGMENT_CHARS]
    found += [value for _, value in parse_qsl(parts.query) if value]
    # As written, too: parse_qsl reads "+" as a space, the receiver may echo it raw.
    found += [pair.partition("=")[2] for pair in parts.query.split("&")]
    if parts.password:
        found.append(parts.password)
    return tuple(text for text in found if text)


class PublicAddressResolver(AbstractResolver):
    """Resolves a receiver's name and refuses it unless every address it gives is public.

    The connector connects to the addresses returned here, so what was checked is what is
    reached. One private address among public ones refuses the name: a name publishing both
    could otherwise be reached on the private one.
    """

    def __init__(self, resolver: AbstractResolver | None = None) -> None:
        self.resolver = resolver or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self.resolver.resolve(host, port, family)
        for result in results:
            check_public_address(result["host"])
        return results

    async def close(self) -> None:
        await self.resolver.close()


def open_http_session(
    *, public_only: bool = False, resolver: AbstractResolver | None = None
) -> aiohttp.ClientSession:
    """A client session for receivers: no connection limit, and no cookie jar.

    Unlimited, because one session serves every channel of a worker process: a slow
    receiver holding connections must never make another channel's requests wait for one.
    No jar, because a cookie one receiver sets must never be sent with a later delivery;
    cookies a sender puts on its request are still sent. With `public_only`, names resolve
    through PublicAddressResolver (around `resolver`, the system's by default); a session
    never serves both kinds, so a connection kept alive to a private address is never reused
    by a delivery that refuses them.
    """
    connector = aiohttp.TCPConnector(
        limit=0,
        resolver=PublicAddressResolver(resolver) if public_only else resolver,
    )
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT},
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class ReceiverSessions:
    """One client session per event loop (two: one for public addresses only), kept open so
    its connections are reused.

    A new session per delivery costs a TCP (and TLS) handshake per request, and building
    and closing the session itself. A session belongs to the loop it was opened on; a
    worker process runs its actors on one loop, so it holds one or two sessions, which
    `close_current` closes when the worker stops.
    """

    def __init__(self) -> None:
        self.by_loop: dict[tuple[asyncio.AbstractEventLoop, bool], aiohttp.ClientSession] = {}

    def current(self, *, public_only: bool = False) -> aiohttp.ClientSession:
        """The running loop's session, opened on first use."""
        key = (asyncio.get_running_loop(), public_only)
        session = self.by_loop.get(key)
        if session is None or session.closed:
            session = self.by_loop[key] = open_http_session(public_only=public_only)
        return session

    async def close_current(self) -> None:
        """Close the running loop's sessions, if any (and forget those of dead loops)."""
        running = asyncio.get_running_loop()
        sessions = [self.by_loop.pop((running, kind), None) for kind in (False, True)]
        for key in [key for key in self.by_loop if key[0].is_closed()]:
            del self.by_loop[key]
        for session in sessions:
            if session is not None:
                await session.close()


#: The worker process's sessions to receivers (one per event loop: in practice, one).
RECEIVER_SESSIONS: Final = ReceiverSessions()


class CloseReceiverSessions(Middleware):
    """Closes the worker's session to receivers when the worker stops, on the worker's loop
    (Dramatiq's AsyncIO middleware stops that loop only after every `before_` hook)."""

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        run_on_worker_loop(RECEIVER_SESSIONS.close_current())


async def send(
    request: ChannelRequest, http: aiohttp.ClientSession, *, public_only: bool = False
) -> Answer:
    """Make the request; the answer, or the class of the error that came instead.

    With `public_only` (and `http` a session opened with it), a private receiver is a
    RefusedDestination answer, whose body says which address was refused and why.
    """
    started = time.monotonic()
    try:
        if public_only:
            check_literal_host(request.url)
        async with http.request(
            request.method,
            request.url,
            headers=dict(request.headers),
            data=request.body,
            params=dict(request.params) if request.params else None,
            cookies=dict(request.cookies) if request.cookies else None,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=request.timeout_seconds),
        ) as response:
            body = await response.content.read(MAX_ANSWER_BYTES)
            return Answer(
                status=response.status,
                headers=dict(response.headers),
                body=body.decode(errors="replace"),
                duration_ms=elapsed_ms(started),
            )
    except (RefusedDestination, aiohttp.ClientConnectorError) as error:
        refused = error if isinstance(error, RefusedDestination) else error.os_error
        if not isinstance(refused, RefusedDestination):
            return Answer(
                status=None, duration_ms=elapsed_ms(started), error_class=type(error).__name__
            )
        # Its text names the address, never the URL.
        return Answer(
            status=None,
            duration_ms=elapsed_ms(started),
            error_class=REFUSED_DESTINATION,
            body=str(refused),
        )
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as error:
        # The class only: the exception's text names the URL, which may hold a token.
        return Answer(
            status=None, duration_ms=elapsed_ms(started), error_class=type(error).__name__
        )


def check_literal_host(url: str) -> None:
    """Raise RefusedDestination when the URL's host is a private IP literal (resolvers never
    see those); names are left to PublicAddressResolver."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return  # aiohttp refuses it as an invalid URL
    if host is None:
        return
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name
    check_public_address(host)


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
