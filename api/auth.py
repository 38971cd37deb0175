"""Authentication: who is calling (the auth string's holder, an API key, or anyone) and
whether their scope allows the request.

Authentication is on when `SIGNALBOX_API_AUTH_STRING` is set or once an API key has been
created: an operator who hands out keys expects callers without one to be refused. Revoking
every key keeps it on: revoking a leaked key must never open the server to everyone.

HTTP callers send `Authorization: Basic base64(user:password)` (the Prefect client's
PREFECT_API_AUTH_STRING) or `Authorization: Bearer <key>` (its PREFECT_API_KEY). Websockets
authenticate as Prefect's do: the first frame is `{"type": "auth", "token": ...}`, the token
being the auth string itself or an API key. A websocket whose upgrade request already carries
a valid Authorization header is authenticated by it (Prefect's events client sends both; a
client with only PREFECT_API_KEY sends a null token, so it needs the header, given through
PREFECT_CLIENT_CUSTOM_HEADERS). /api/health and /api/ready stay open for probes.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from aiohttp import hdrs, web
from sqlalchemy.exc import OperationalError

from api import keys
from api.scopes import SECRETS_IN_BODY, required_scope
from models.api_keys import Scope, api_keys_exist, digest_api_key, find_api_key
from models.errors import NotPermitted, Unauthorized

if TYPE_CHECKING:
    from pydantic import SecretStr

    from models.db.database import Database

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Paths anyone may GET: load balancers and orchestrators probe them without credentials.
OPEN_PATHS: Final = frozenset({"/api/health", "/api/ready"})
#: Seconds a key found valid stays trusted without another look at the database, and an
#: empty key table stays believed empty: a key created or revoked from the CLI takes effect
#: within this long on every API process.
KEY_CACHE_SECONDS: Final = 2.0
#: Keys remembered at most; beyond, the memory starts afresh.
KEY_CACHE_SIZE: Final = 1_000
#: The websocket subprotocol of Prefect's clients: they authenticate with a frame.
PREFECT_SUBPROTOCOL: Final = "prefect"


@dataclass(frozen=True)
class Caller:
    """Who made a request, as far as the API is concerned."""

    name: str
    scope: Scope


#: Anyone, while authentication is off: they may do everything.
ANYONE: Final = Caller("anyone", Scope.ADMIN)
#: The holder of the auth string: the operator, who may do everything.
OPERATOR: Final = Caller("the auth string", Scope.ADMIN)
#: Where a request's caller is kept for its handler.
CALLER: Final = web.RequestKey("caller", Caller)


class Gatekeeper:
    """Checks credentials against the auth string and the API keys.

    One per API process; safe to use from concurrent requests (its caches only ever hold
    what the database said a moment ago).
    """

    def __init__(self, auth_string: SecretStr | None, database: Database) -> None:
        self.auth_string = (auth_string and auth_string.get_secret_value()) or None
        self.database = database
        self.keys_exist = False
        self.keys_checked = -KEY_CACHE_SECONDS
        self.known_keys: dict[str, tuple[Caller, float]] = {}

    @property
    def challenge(self) -> str:
        """The scheme a 401 asks for: Basic when there is an auth string (a browser then
        asks for a user and password), Bearer when only keys are accepted."""
        return "Basic" if self.auth_string else "Bearer"

    async def auth_required(self) -> bool:
        if self.auth_string or self.keys_exist:
            return True  # keys are never deleted: once there, always there
        now = time.monotonic()
        if now - self.keys_checked >= KEY_CACHE_SECONDS:
            try:
                async with self.database.read_sessions() as session:
                    self.keys_exist = await api_keys_exist(session)
            except OperationalError:
                # The database is away: no key can be created until it is back, so an empty
                # table read before stays believed empty, and requests that need no database
                # (log batches, events) are still taken. Never read: we cannot tell (a 503).
                if self.keys_checked < 0:
                    raise
                return self.keys_exist
            self.keys_checked = now
        return self.keys_exist

    async def identify(self, authorization: str | None) -> Caller:
        """The caller an Authorization header names; raises Unauthorized when it names none
        and authentication is on."""
        if not await self.auth_required():
            return ANYONE
        if authorization is None:
            raise Unauthorized("Not authenticated", challenge=self.challenge)
        scheme, _, credentials = authorization.strip().partition(" ")
        caller = None
        if scheme.lower() == "basic":
            caller = self.match_auth_string(decode_basic(credentials.strip()))
        elif scheme.lower() == "bearer":
            caller = await self.caller_for_key(credentials.strip())
        if caller is None:
            raise Unauthorized("Invalid credentials", challenge=self.challenge)
        return caller

    async def identify_token(self, token: object) -> Caller | None:
        """The caller a websocket's auth token names (the auth string or an API key), or
        None when it names none and authentication is on."""
        if not await self.auth_required():
            return ANYONE
        if not isinstance(token, str) or not token:
            return None
        return self.match_auth_string(token) or await self.caller_for_key(token)

    def match_auth_string(self, text: str | None) -> Caller | None:
        if self.auth_string is None or text is None:
            return None
        # Compared in constant time: the time taken says nothing about how much matched.
        return OPERATOR if hmac.compare_digest(text.encode(), self.auth_string.encode()) else None

    async def caller_for_key(self, key: str) -> Caller | None:
        digest = digest_api_key(key)
        now = time.monotonic()
        known = self.known_keys.get(digest)
        if known is not None and known[1] > now:
            return known[0]
        async with self.database.read_sessions() as session:
            found = await find_api_key(session, key)
        if found is None:
            self.known_keys.pop(digest, None)
            return None
        caller = Caller(f"API key {found.name!r}", Scope(found.scope))
        if len(self.known_keys) >= KEY_CACHE_SIZE:
            self.known_keys.clear()
        self.known_keys[digest] = (caller, now + KEY_CACHE_SECONDS)
        return caller


def decode_basic(credentials: str) -> str | None:
    try:
        return base64.b64decode(credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def permit(caller: Caller, needed: Scope) -> None:
    """Raise NotPermitted unless the caller's scope allows what the request needs."""
    if not caller.scope.allows(needed):
        raise NotPermitted(
            f"The {caller.name} has the {caller.scope} scope; this request needs {needed}."
        )


@dataclass(frozen=True)
class PendingSocket:
    """A websocket being opened: what it needs, and its caller if its headers named one."""

    gatekeeper: Gatekeeper
    needed: Scope
    caller: Caller | None


#: Set by the middleware around a websocket's handler, for `refuse_socket_token`: the socket
#: reads its auth frame after the upgrade, long after the middleware has let it through.
PENDING_SOCKET: ContextVar[PendingSocket | None] = ContextVar("pending_socket", default=None)


async def refuse_socket_token(token: object) -> str | None:
    """Why the websocket being opened refuses the token of its auth frame, or None when it
    accepts it. Fails closed outside the middleware."""
    pending = PENDING_SOCKET.get()
    if pending is None:
        return "Not authenticated"
    if pending.caller is not None:  # its upgrade request's Authorization header was valid
        return None
    caller = await pending.gatekeeper.identify_token(token)
    if caller is None:
        return "Invalid token" if token else "Auth required but no token provided"
    if not caller.scope.allows(pending.needed):
        return f"The {caller.name} has the {caller.scope} scope; this socket needs {pending.needed}"
    return None


def is_websocket_upgrade(request: web.Request) -> bool:
    return request.method == "GET" and request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"


def offers_prefect_subprotocol(request: web.Request) -> bool:
    offered = request.headers.getall(hdrs.SEC_WEBSOCKET_PROTOCOL, [])
    return PREFECT_SUBPROTOCOL in {p.strip() for header in offered for p in header.split(",")}


async def body_asks_for_secrets(request: web.Request) -> bool:
    """Whether a JSON body says `"include_secrets": true` (read now; aiohttp keeps the
    bytes for the handler)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        return False  # the handler answers the bad body with its 422
    return isinstance(body, dict) and body.get("include_secrets") is True


@web.middleware
async def require_credentials(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse anonymous and wrong credentials (401) and too narrow a scope (403)."""
    if request.method in {"GET", "HEAD"} and request.path in OPEN_PATHS:
        return await handler(request)
    gatekeeper = request.app[keys.gatekeeper]
    websocket = is_websocket_upgrade(request)
    needed = required_scope(request.method, request.path, request.query, websocket=websocket)
    header = request.headers.get(hdrs.AUTHORIZATION)
    if websocket and header is None and offers_prefect_subprotocol(request):
        # Authenticated by its first frame, in the handler (see `refuse_socket_token`).
        reset = PENDING_SOCKET.set(PendingSocket(gatekeeper, needed, None))
        try:
            return await handler(request)
        finally:
            PENDING_SOCKET.reset(reset)
    caller = await gatekeeper.identify(header)
    # The body is read only for a caller it can concern, and after their credentials.
    in_body = request.method == "POST" and request.path in SECRETS_IN_BODY
    if in_body and not caller.scope.allows(Scope.ADMIN) and await body_asks_for_secrets(request):
        needed = Scope.ADMIN
    permit(caller, needed)
    request[CALLER] = caller
    if not websocket:
        return await handler(request)
    reset = PENDING_SOCKET.set(PendingSocket(gatekeeper, needed, caller))
    try:
        return await handler(request)
    finally:
        PENDING_SOCKET.reset(reset)
