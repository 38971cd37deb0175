"""How long a receiver asked us to wait before trying again, in whichever way it says so.

Slack and most others send `Retry-After` (seconds, or an HTTP date); Discord also puts
`retry_after` (float seconds) in its JSON body; SendGrid sends `X-RateLimit-Reset` (epoch
seconds); Opsgenie's SDKs read `X-RateLimit-Period-In-Sec`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from models.db.types import utcnow


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever its case; "" when absent."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value.strip()
    return ""


def retry_after_ms(headers: Mapping[str, str], now: datetime | None = None) -> int | None:
    """How long `Retry-After` asks us to wait, in ms; None when it is absent or unreadable."""
    value = header(headers, "Retry-After")
    if not value:
        return None
    try:
        return max(0, int(float(value) * 1000))  # delta-seconds, maybe fractional
    except (ValueError, OverflowError):
        pass
    try:
        when = parsedate_to_datetime(value)  # or an HTTP date
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0, int((when - (now or utcnow())).total_seconds() * 1000))


def rate_limit_reset_ms(headers: Mapping[str, str], now: datetime | None = None) -> int | None:
    """How long until `X-RateLimit-Reset` (a Unix time in seconds), in ms; None if absent."""
    value = header(headers, "X-RateLimit-Reset")
    try:
        reset = float(value)
    except (ValueError, OverflowError):
        return None
    return max(0, int((reset - (now or utcnow()).timestamp()) * 1000))


def rate_limit_period_ms(headers: Mapping[str, str]) -> int | None:
    """Opsgenie's `X-RateLimit-Period-In-Sec`, in ms; None if absent."""
    try:
        return max(0, int(float(header(headers, "X-RateLimit-Period-In-Sec")) * 1000))
    except (ValueError, OverflowError):
        return None


def body_retry_after_ms(body: str) -> int | None:
    """Discord's `{"retry_after": <float seconds>}` in a 429 body, in ms; None if absent."""
    try:
        value = json.loads(body).get("retry_after")
        return max(0, int(float(value) * 1000))
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None
