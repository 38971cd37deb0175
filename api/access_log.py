"""Request ids and the access log: one line per request, with the id that tags its records.

The id is the caller's `X-Request-ID` when it is a plausible one (letters, digits, `-`, `_`,
`.`, `:`, at most MAX_REQUEST_ID_CHARS), otherwise a new one; it is returned in the answer's
`X-Request-ID` and put on every log record written while answering. The access line names
the method, the path without its query string (which may carry a token), the status and the
duration: never a header or a body.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Final
from uuid import uuid4

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.typedefs import Handler

from models.logging_setup import ACCESS_LOGGER, REQUEST_ID

#: The header a request id comes in and goes out with.
REQUEST_ID_HEADER: Final = "X-Request-ID"
#: The longest request id taken from a caller.
MAX_REQUEST_ID_CHARS: Final = 128
#: What a caller's request id may be made of: nothing that could forge a log line.
REQUEST_ID_PATTERN: Final = re.compile(rf"[A-Za-z0-9._:\-]{{1,{MAX_REQUEST_ID_CHARS}}}")
#: Where a request's id is kept on the request.
REQUEST_ID_KEY: Final = web.RequestKey("request_id", str)


def request_id_of(request: web.BaseRequest) -> str:
    """The caller's request id when it is plausible, otherwise a fresh one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if REQUEST_ID_PATTERN.fullmatch(given) else uuid4().hex


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request its id, tag what is logged while it is answered, and return the id."""
    request_id = request_id_of(request)
    request[REQUEST_ID_KEY] = request_id
    token = REQUEST_ID.set(request_id)
    try:
        response = await handler(request)
    except web.HTTPException as answer:
        answer.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    if not response.prepared:  # a websocket or stream has sent its headers already
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


class AccessLogger(AbstractAccessLogger):
    """Writes one line per answered request to the `signalbox.access` logger."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        request_id = response.headers.get(REQUEST_ID_HEADER) or request.get(REQUEST_ID_KEY) or "-"
        duration_ms = round(time * 1000, 1)
        self.logger.info(
            "%s %s %d %.1f ms",
            request.method,
            request.path,
            response.status,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status,
                "duration_ms": duration_ms,
                "remote": request.remote,
            },
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def access_log_options() -> dict[str, Any]:
    """What `web.run_app` or an AppRunner takes to write this access log."""
    return {
        "access_log_class": AccessLogger,
        "access_log": logging.getLogger(ACCESS_LOGGER),
    }
