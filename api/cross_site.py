"""Protection from other web pages: DNS rebinding, cross-site requests and CORS.

A page on another site can make a browser send requests to the API (it runs on the
victim's machine or network), so:
- the `Host` header must name a host this server answers for (a rebound DNS name carries
  the attacker's host name): the bind address, localhost, 127.0.0.1, ::1, and
  SIGNALBOX_ALLOWED_HOSTS;
- a request whose `Origin` is another site's is refused, unless SIGNALBOX_CORS_ALLOWED_ORIGINS
  names it (then the API answers its preflights and lets it read the answers); websocket
  upgrades carry an Origin too;
- a body that changes anything must be JSON: the requests a page can send without a
  preflight (forms, `text/plain`) never are.
Clients that are not browsers (the Prefect client, curl) send no Origin and JSON bodies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from api import keys
from api.auth import OPEN_PATHS
from models.errors import HostNotAllowed, NotPermitted, UnsupportedMediaType
from models.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Hosts every server answers for.
LOCAL_HOSTS: Final = ("localhost", "127.0.0.1", "::1")
#: Bind addresses that mean "every interface": no client names them as its Host (and a
#: browser reaching 0.0.0.0 reaches this machine, which is what rebinding wants).
WILDCARD_ADDRESSES: Final = frozenset({"0.0.0.0", "::", ""})
#: Methods whose body must be JSON.
CHANGING_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: What a CORS preflight may ask for.
CORS_METHODS: Final = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
#: Seconds a browser may remember a preflight's answer.
CORS_MAX_AGE_SECONDS: Final = 600


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def host_name(host_header: str) -> str:
    """The host of a Host header, without its port: `[::1]:4200` -> `::1`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    name, colon, port = host.rpartition(":")
    return name.rstrip(".") if colon and port.isdigit() else host.rstrip(".")


def normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


@dataclass(frozen=True)
class CrossSitePolicy:
    """The hosts the API answers for and the origins whose pages may call it."""

    hosts: frozenset[str]
    any_host: bool
    origins: frozenset[str]
    any_origin: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> CrossSitePolicy:
        extra_hosts = [host_name(host) for host in split_list(settings.allowed_hosts)]
        bind = {settings.api_host.strip("[]").lower()} - WILDCARD_ADDRESSES
        origins = [normalise_origin(origin) for origin in split_list(settings.cors_allowed_origins)]
        return cls(
            hosts=frozenset({*LOCAL_HOSTS, *bind, *extra_hosts} - {"*"}),
            any_host="*" in extra_hosts,
            origins=frozenset(origins) - {"*"},
            any_origin="*" in origins,
        )

    def allows_host(self, host_header: str | None) -> bool:
        if self.any_host:
            return True
        return host_header is not None and host_name(host_header) in self.hosts

    def allows_cors(self, origin: str) -> bool:
        """Whether CORS lets the page of `origin` call the API and read its answers."""
        return self.any_origin or normalise_origin(origin) in self.origins

    def allows_origin(self, origin: str, host_header: str | None) -> bool:
        """A page of this server itself, or one CORS allows."""
        parts = urlsplit(origin.strip())
        same_site = (
            parts.scheme in {"http", "https"}
            and host_header is not None
            and parts.netloc.lower() == host_header.strip().lower()
        )
        return same_site or self.allows_cors(origin)


def is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


@web.middleware
async def refuse_cross_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse foreign Hosts (400), foreign Origins (403) and non-JSON bodies (415); answer
    the preflights of the origins CORS allows."""
    policy = request.app[keys.cross_site_policy]
    host = request.headers.get(hdrs.HOST)
    probe = request.method in {"GET", "HEAD"} and request.path in OPEN_PATHS
    if not probe and not policy.allows_host(host):
        raise HostNotAllowed(
            f"Host {host!r} is not allowed; add it to SIGNALBOX_ALLOWED_HOSTS to serve it."
        )
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is not None and not policy.allows_origin(origin, host):
        raise NotPermitted(
            f"Origin {origin!r} is not allowed; add it to SIGNALBOX_CORS_ALLOWED_ORIGINS "
            "to let its pages call the API."
        )
    if (
        request.method == "OPTIONS"
        and origin is not None
        and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
    ):
        return web.Response(status=204)  # `add_cors_headers` says what is allowed
    changing = request.method in CHANGING_METHODS and request.body_exists
    if changing and not is_json(request.content_type):
        raise UnsupportedMediaType(
            f"Request bodies must be JSON (Content-Type: application/json), "
            f"not {request.content_type}."
        )
    return await handler(request)


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Let the pages of the origins CORS allows read the answer (errors included); called
    for every response as it is prepared."""
    response.headers.add(hdrs.VARY, hdrs.ORIGIN)
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None or not request.app[keys.cross_site_policy].allows_cors(origin):
        return
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
    response.headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
    if request.method == "OPTIONS":
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = CORS_METHODS
        asked = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS)
        if asked:
            response.headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = asked
        response.headers[hdrs.ACCESS_CONTROL_MAX_AGE] = str(CORS_MAX_AGE_SECONDS)


def install_cross_site_policy(app: web.Application, settings: Settings) -> None:
    """Keep the policy the middleware reads, and add CORS headers to every answer."""
    app[keys.cross_site_policy] = CrossSitePolicy.from_settings(settings)
    app.on_response_prepare.append(add_cors_headers)
