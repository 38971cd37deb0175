"""Talking to receivers: a request described as data, sent with aiohttp, its answer never raised.

`send` returns what came back, or the error class in its place (a timeout, a refused
connection), so every try can be recorded and classified. It never follows redirects (a
moved webhook is a configuration problem, not something to chase), reads at most
MAX_ANSWER_BYTES of the answer, and never puts a URL or an exception's text anywhere: both
may carry the receiver's token.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
from dramatiq import Broker, Middleware, Worker

from actors.lifecycle import run_on_worker_loop
from models.notifications.outcomes import Answer

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


def open_http_session() -> aiohttp.ClientSession:
    """A client session for receivers: no connection limit, and no cookie jar.

    Unlimited, because one session serves every channel of a worker process: a slow
    receiver holding connections must never make another channel's requests wait for one.
    No jar, because a cookie one receiver sets must never be sent with a later delivery;
    cookies a sender puts on its request are still sent.
    """
    return aiohttp.ClientSession(
        headers={"User-Agent": USER_AGENT},
        connector=aiohttp.TCPConnector(limit=0),
        cookie_jar=aiohttp.DummyCookieJar(),
    )


class ReceiverSessions:
    """One client session per event loop, kept open so its connections are reused.

    A new session per delivery costs a TCP (and TLS) handshake per request, and building
    and closing the session itself. A session belongs to the loop it was opened on; a
    worker process runs its actors on one loop, so it holds one session, which
    `close_current` closes when the worker stops.
    """

    def __init__(self) -> None:
        self.by_loop: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def current(self) -> aiohttp.ClientSession:
        """The running loop's session, opened on first use."""
        loop = asyncio.get_running_loop()
        session = self.by_loop.get(loop)
        if session is None or session.closed:
            session = self.by_loop[loop] = open_http_session()
        return session

    async def close_current(self) -> None:
        """Close the running loop's session, if it has one (and forget those of dead loops)."""
        session = self.by_loop.pop(asyncio.get_running_loop(), None)
        for loop in [loop for loop in self.by_loop if loop.is_closed()]:
            del self.by_loop[loop]
        if session is not None:
            await session.close()


#: The worker process's sessions to receivers (one per event loop: in practice, one).
RECEIVER_SESSIONS: Final = ReceiverSessions()


class CloseReceiverSessions(Middleware):
    """Closes the worker's session to receivers when the worker stops, on the worker's loop
    (Dramatiq's AsyncIO middleware stops that loop only after every `before_` hook)."""

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        run_on_worker_loop(RECEIVER_SESSIONS.close_current())


async def send(request: ChannelRequest, http: aiohttp.ClientSession) -> Answer:
    """Make the request; the answer, or the class of the error that came instead."""
    started = time.monotonic()
    try:
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
    except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as error:
        # The class only: the exception's text names the URL, which may hold a token.
        return Answer(
            status=None, duration_ms=elapsed_ms(started), error_class=type(error).__name__
        )


def elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 3)
