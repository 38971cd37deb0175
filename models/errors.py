"""The failures Signalbox raises on purpose; the API maps each to one HTTP status."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any


class SignalboxError(Exception):
    """Something Signalbox refused to do."""

    headers: Mapping[str, str] = MappingProxyType({})
    #: Fields the answer carries beside `detail` (what readiness found wrong, for one).
    extra: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or (self.__doc__ or type(self).__name__).strip()
        super().__init__(self.detail)


class ObjectNotFound(SignalboxError):
    """No object with that id exists."""


class Forbidden(SignalboxError):
    """Signalbox keeps this object as it is (a protected block type, a reserved name)."""


class ObjectAlreadyExists(SignalboxError):
    """An object with that name already exists."""


class InvalidRequest(SignalboxError):
    """The request is well-formed but asks for something Signalbox cannot do."""


class SlotsUnavailable(SignalboxError):
    """Every slot of the concurrency limit is taken; the client should come back later."""

    def __init__(self, retry_after_seconds: float) -> None:
        super().__init__("Locked")  # the detail Prefect clients expect
        self.headers = MappingProxyType({"Retry-After": f"{retry_after_seconds:.3f}"})


class LeaseGone(SignalboxError):
    """Lease not found - it may have expired or been revoked"""


#: Seconds a client is asked to wait before it tries again when the database is busy or away.
DATABASE_RETRY_AFTER_SECONDS = 2


class DatabaseUnavailable(SignalboxError):
    """Service Unavailable"""

    headers = MappingProxyType({"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


class NotReady(SignalboxError):
    """Not ready"""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__()
        #: What does not answer (database, redis) and the class of its error.
        self.extra = MappingProxyType({"problems": dict(problems)})


class Unauthorized(SignalboxError):
    """Authentication required: send the auth string (basic) or an API key (bearer)."""

    def __init__(self, detail: str | None = None, *, challenge: str = "Basic") -> None:
        super().__init__(detail)
        # RFC 9110: a 401 names how to authenticate; browsers ask for a password on Basic.
        self.headers = MappingProxyType({"WWW-Authenticate": f'{challenge} realm="Signalbox"'})


class NotPermitted(SignalboxError):
    """The credentials are valid but their scope does not allow this request."""


class UnsupportedMediaType(SignalboxError):
    """Request bodies must be JSON (Content-Type: application/json)."""


class HostNotAllowed(SignalboxError):
    """The Host header names a host this server does not answer for."""
