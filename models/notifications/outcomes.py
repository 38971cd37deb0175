"""What a receiver answered, what that means for the delivery, and when to try again.

Every sender turns an HTTP answer into a verdict (delivered, transient, permanent); the
verdicts of one attempt, with how often and how long we have tried, decide the delivery's
next status. The defaults here are CHANNELS.md's: 2xx delivered; timeouts, connection errors,
408, 425, 429 and 5xx transient; every other status permanent. Channels refine them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from models.notifications.retry_after import retry_after_ms

if TYPE_CHECKING:
    from models.settings import Settings

#: Statuses worth another try besides 5xx: timeout, too early, too many requests.
TRANSIENT_STATUSES: Final = frozenset({408, 425, 429})
#: The error class of a request not made because its receiver's address is private and
#: the delivery refuses those (models/notifications/destinations.py).
REFUSED_DESTINATION: Final = "RefusedDestination"
#: Errors without an answer that no retry can fix: the URL itself is unusable.
UNUSABLE_URL_ERRORS: Final = frozenset(
    {"InvalidURL", "InvalidUrlClientError", "NonHttpUrlClientError", REFUSED_DESTINATION}
)


class AttemptOutcome(StrEnum):
    """What one HTTP attempt came to."""

    DELIVERED = "delivered"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


class DeliveryStatus(StrEnum):
    """Where a delivery stands: pending until it is delivered, refused for good, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    #: The receiver refused it for good (a 4xx other than 408/425/429).
    FAILED = "failed"
    #: Transient failures until the attempts or the age ran out.
    DEAD = "dead"


@dataclass(frozen=True)
class Answer:
    """What came back from one HTTP request: a status, or the error that replaced it."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The start of the body, as text (secrets not yet removed).
    body: str = ""
    duration_ms: float = 0.0
    #: The exception class when there was no answer (TimeoutError, ClientConnectorError...).
    error_class: str | None = None

    def describe(self) -> str:
        """A short account without secrets: the status or the error class, never a URL (a
        refused destination says which address and why)."""
        if self.status is not None:
            return f"HTTP {self.status}"
        if self.error_class == REFUSED_DESTINATION and self.body:
            return self.body
        return str(self.error_class)

    def json_field(self, name: str) -> str | None:
        """A top-level field of the body read as a JSON object, as text; None when the body
        is not one or lacks the field (a receiver's id for what it accepted, usually)."""
        try:
            value = json.loads(self.body).get(name)
        except (ValueError, AttributeError):  # not JSON, or JSON but not an object
            return None
        return None if value is None else str(value)


@dataclass(frozen=True)
class Verdict:
    """What one answer means for the delivery."""

    outcome: AttemptOutcome
    #: Why, in words safe to record: `HTTP 429`, `TimeoutError`, `Teams error 413 in a 200`.
    reason: str
    #: How long the receiver asked us to wait before the next try, in ms.
    delay_ms: int | None = None
    #: The receiver's id for what it accepted (Discord message id, Twilio sid...).
    provider_id: str | None = None


def classify_status(answer: Answer) -> Verdict:
    """The default reading of an answer, honouring Retry-After on transient ones."""
    reason = answer.describe()
    if answer.status is None:
        if answer.error_class in UNUSABLE_URL_ERRORS:
            return Verdict(AttemptOutcome.PERMANENT, reason)
        return Verdict(AttemptOutcome.TRANSIENT, reason)
    if 200 <= answer.status < 300:
        return Verdict(AttemptOutcome.DELIVERED, reason)
    if answer.status in TRANSIENT_STATUSES or answer.status >= 500:
        return Verdict(AttemptOutcome.TRANSIENT, reason, retry_after_ms(answer.headers))
    return Verdict(AttemptOutcome.PERMANENT, reason)


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts and how much time a delivery gets, and the default backoff."""

    max_attempts: int
    max_age_seconds: float
    backoff_seconds: float
    max_backoff_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.delivery_max_attempts,
            max_age_seconds=settings.delivery_max_age_seconds,
            backoff_seconds=settings.delivery_backoff_seconds,
            max_backoff_seconds=settings.delivery_max_backoff_seconds,
        )

    def backoff_ms(self, retries: int) -> int:
        """The wait before retry number `retries + 1` when the receiver named none."""
        seconds = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** min(retries, 30))
        return int(seconds * 1000)


@dataclass(frozen=True)
class DeliveryDecision:
    """The delivery's next status, and when to try again if it is still pending."""

    status: DeliveryStatus
    retry_in_ms: int | None = None
    reason: str | None = None


def decide_delivery(
    verdicts: Sequence[Verdict],
    *,
    retries: int,
    age_seconds: float,
    policy: RetryPolicy,
    refused_before: int = 0,
) -> DeliveryDecision:
    """The next status after an attempt whose requests got `verdicts`.

    `retries` is how many attempts came before this one; `age_seconds` how long ago the
    delivery was queued; `refused_before` how many of its recipients refused it in earlier
    attempts. Anything transient is tried again after the receiver's delay (or the backoff),
    unless that would exceed the attempts or the age allowed: then the delivery is dead.
    """
    transient = [verdict for verdict in verdicts if verdict.outcome is AttemptOutcome.TRANSIENT]
    refused = [verdict for verdict in verdicts if verdict.outcome is AttemptOutcome.PERMANENT]
    if transient:
        asked = [verdict.delay_ms for verdict in transient if verdict.delay_ms is not None]
        delay = max(asked) if asked else policy.backoff_ms(retries)
        reason = transient[0].reason
        if retries + 1 >= policy.max_attempts:
            return DeliveryDecision(
                DeliveryStatus.DEAD, reason=f"{reason}; gave up after {retries + 1} attempts"
            )
        if age_seconds + delay / 1000 > policy.max_age_seconds:
            return DeliveryDecision(
                DeliveryStatus.DEAD,
                reason=f"{reason}; the next try would be past the maximum age",
            )
        return DeliveryDecision(DeliveryStatus.PENDING, retry_in_ms=delay, reason=reason)
    if refused:
        return DeliveryDecision(DeliveryStatus.FAILED, reason=refused[0].reason)
    if refused_before:
        return DeliveryDecision(DeliveryStatus.FAILED, reason="a recipient refused it earlier")
    return DeliveryDecision(DeliveryStatus.DELIVERED)
