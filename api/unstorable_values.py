"""Refusing NUL characters and NaN/Infinity in any request, with a 422 naming where.

SQLite kept them and PostgreSQL failed with a 500, request by request; checked here once,
before any route, both databases answer alike. See `models.schemas.unstorable_values`.
"""

from __future__ import annotations

from typing import Final

from aiohttp import web

from api.errors import Handler
from models.errors import InvalidRequest
from models.schemas.unstorable_values import find_unstorable_value, unstorable_value_error

#: Routes that keep a NUL by replacing it (a log line is kept, with U+FFFD in its place;
#: see `models.schemas.logs.clean_log_records`); NaN and Infinity are refused there too.
NUL_REPLACED_AT: Final = frozenset({("POST", "/api/logs/")})


@web.middleware
async def refuse_unstorable_values(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A path, query parameter or JSON body holding a NUL or NaN/Infinity is a 422; in a
    body, its `detail` names the place as every other body error does (`loc`)."""
    if "\x00" in request.path:
        raise InvalidRequest("The path holds a NUL character (\\u0000).")
    for name, value in request.query.items():
        if "\x00" in name or "\x00" in value:
            shown = name.replace("\x00", "\\u0000")
            raise InvalidRequest(f"Query parameter {shown} holds a NUL character (\\u0000).")
    if request.can_read_body:
        # Read once here; aiohttp keeps the bytes for the route's own read.
        body = await request.read()
        allow_nul = (request.method, request.path) in NUL_REPLACED_AT
        if (found := find_unstorable_value(body, allow_nul=allow_nul)) is not None:
            raise unstorable_value_error(*found)
    return await handler(request)
