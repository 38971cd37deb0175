"""Expected failures become `{"detail": ...}` with the status a Prefect client expects."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Final

import dramatiq.errors
import redis.exceptions
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError

from models.errors import (
    DatabaseUnavailable,
    Forbidden,
    HostNotAllowed,
    InvalidRequest,
    LeaseGone,
    NotPermitted,
    NotReady,
    ObjectAlreadyExists,
    ObjectNotFound,
    SignalboxError,
    SlotsUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

#: Seconds a client is asked to wait before it tries again while Redis is unavailable.
REDIS_RETRY_AFTER_SECONDS: Final = 2
#: Redis does not answer, answers too late, is still loading its data (BusyLoadingError is a
#: ConnectionError), or is there but cannot take a write now: out of memory (maxmemory with
#: noeviction), a replica or no master during a failover. Each passes once Redis is seen to,
#: so the client is asked to come back. Dramatiq names a lost connection its own way.
REDIS_UNAVAILABLE: Final = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.MasterDownError,
    dramatiq.errors.BrokerConnectionError,
)

STATUS_FOR: dict[type[SignalboxError], int] = {
    HostNotAllowed: 400,
    Unauthorized: 401,
    NotPermitted: 403,
    UnsupportedMediaType: 415,
    Forbidden: 403,
    ObjectNotFound: 404,
    ObjectAlreadyExists: 409,
    InvalidRequest: 422,
    LeaseGone: 410,
    SlotsUnavailable: 423,
    DatabaseUnavailable: 503,
    NotReady: 503,
}


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map validation, domain and HTTP errors to JSON bodies; nothing else is caught."""
    try:
        return await handler(request)
    except ValidationError as exc:
        detail = exc.errors(include_url=False, include_context=False, include_input=False)
        for error in detail:
            error["loc"] = ("body", *error["loc"])
        return web.json_response(
            {
                "detail": detail,
                "exception_message": "Invalid request received.",
                "exception_detail": detail,
            },
            status=422,
            dumps=lambda value: json.dumps(value, default=str),
        )
    except SignalboxError as exc:
        status = STATUS_FOR.get(type(exc), 400)
        return web.json_response(
            {"detail": exc.detail, **exc.extra}, status=status, headers=dict(exc.headers)
        )
    except OperationalError as exc:
        # The database is busy or away: 503 is an answer the Prefect client retries.
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exc)
        return web.json_response(
            {"detail": "Service Unavailable"}, status=503, headers=dict(DatabaseUnavailable.headers)
        )
    except DBAPIError as exc:
        if exc.connection_invalidated:
            return web.json_response(
                {"detail": "Service Unavailable"},
                status=503,
                headers=dict(DatabaseUnavailable.headers),
            )
        raise
    except REDIS_UNAVAILABLE as exc:
        return redis_unavailable(request, exc)
    except web.HTTPException as exc:
        if exc.empty_body or exc.content_type == "application/json":
            raise
        return web.json_response(
            {"detail": exc.reason}, status=exc.status, headers=without_content_headers(exc)
        )


def redis_unavailable(request: web.Request, error: Exception) -> web.Response:
    """A 503 the Prefect client retries: what this request would have put on Redis is not
    durable, so nothing of it is acknowledged."""
    logger.warning(
        "Redis unavailable for %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        error,
    )
    return web.json_response(
        {"detail": "Service Unavailable: the message queue (Redis) does not answer."},
        status=503,
        headers={"Retry-After": str(REDIS_RETRY_AFTER_SECONDS)},
    )


def without_content_headers(exc: web.HTTPException) -> dict[str, str]:
    return {
        name: value
        for name, value in exc.headers.items()
        if name.lower() not in {"content-type", "content-length"}
    }
