"""Buckets: an event trigger's count of events in one window, and when it fires.

Pure functions on one bucket (one trigger, one `for_each` key); `bucket_store.py` reads and
writes them. The rules are Prefect 3.9.1's: each key has at most one open window. A reactive
trigger fires as soon as its window holds `threshold` events, then opens the next window; a
proactive one fires when its window ends with fewer than `threshold` events. With `after`,
only an `after` event opens a window; without it a window opens on the first expected event
(reaching back `PRECEDING_EVENT_LOOKBACK`, so events that arrive out of order still count)
and the next one opens where the last ended.

Prefect 3.9.1 also holds `expect`-only events that arrive before the `after` event that
should have opened their window; here such an event finds no window and is not counted,
as in Prefect before that addition.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

from models.automations.matching import CandidateEvent, bucketing_key
from models.automations.trigger_rules import EventRule, Posture

#: How far back the first window of a key reaches, as Prefect's.
PRECEDING_EVENT_LOOKBACK: Final = timedelta(minutes=15)
#: The event ids a bucket keeps for its firing's `triggering_event_ids` (its count goes on).
KEPT_EVENT_IDS: Final = 100


@dataclass(frozen=True)
class Bucket:
    """One window of one trigger for one `for_each` key."""

    key: tuple[str, ...]
    start: datetime
    end: datetime
    count: int = 0
    #: The newest counted (or window-opening) event, as JSON.
    last_event: dict[str, Any] | None = None
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class TriggerFired:
    """An event trigger fired: what the firing row and its parent composite need."""

    trigger_id: UUID
    key: tuple[str, ...]
    labels: dict[str, str]
    occurred: datetime
    triggering_event: dict[str, Any] | None
    event_ids: tuple[str, ...]
    #: What makes this firing unique for its trigger and key: the completing event's id,
    #: or the end of the window that ran out.
    cause: str


def counted(bucket: Bucket, event: CandidateEvent | None) -> Bucket:
    if event is None:
        return replace(bucket, count=bucket.count + 1)
    ids = (*bucket.event_ids, str(event.id))[-KEPT_EVENT_IDS:]
    return replace(bucket, count=bucket.count + 1, last_event=event.as_json(), event_ids=ids)


def fired(
    rule: EventRule, bucket: Bucket, now: datetime, event: CandidateEvent | None
) -> TriggerFired:
    return TriggerFired(
        trigger_id=rule.id,
        key=bucket.key,
        labels=dict(zip(rule.for_each, bucket.key, strict=True)),
        occurred=event.occurred if event is not None else bucket.end,
        triggering_event=event.as_json() if event is not None else bucket.last_event,
        event_ids=bucket.event_ids,
        cause=str(event.id) if event is not None else f"window:{bucket.end.isoformat()}",
    )


def evaluate_bucket(
    rule: EventRule, bucket: Bucket, now: datetime, event: CandidateEvent | None
) -> tuple[Bucket | None, list[TriggerFired]]:
    """Spend the event (if any) in the bucket at time `now`, fire when due, and return the
    bucket to keep (None: the key has no open window any more) and what fired."""
    if now < bucket.start:
        return bucket, []  # a late event, or one for a window that already fired
    spend = event is not None
    previous_last_event = bucket.last_event
    if spend and (rule.immediate or bucket.start <= now < bucket.end):
        bucket, spend = counted(bucket, event), False
    ready = rule.posture is Posture.REACTIVE or bucket.end <= now
    meets = rule.meets_threshold(bucket.count)
    firings: list[TriggerFired] = []
    if ready and meets:
        firings.append(fired(rule, bucket, now, event))
    elif now < bucket.end:
        if (
            event is not None
            and rule.posture is Posture.PROACTIVE
            and rule.starts_after(event.event)
            and rule.expects(event.event)
        ):
            # One event both opens and satisfies (a heartbeat): the next window starts at
            # it, and keeps an `expect`-only event that came no earlier as its context.
            last_event = event.as_json()
            if (
                previous_last_event is not None
                and rule.expects(previous_last_event["event"])
                and not rule.starts_after(previous_last_event["event"])
                and datetime.fromisoformat(previous_last_event["occurred"]) >= event.occurred
            ):
                last_event = previous_last_event
            return Bucket(
                bucket.key, event.occurred, event.occurred + rule.within, 0, last_event
            ), []
        return bucket, []
    # The window fired or is over: open the next one, unless only an `after` event may.
    if rule.after:
        return None, firings
    if rule.within == timedelta(0):
        return (None if firings else bucket), firings
    start = max(bucket.end, now)
    following = Bucket(bucket.key, start, start + rule.within)
    if rule.posture is Posture.REACTIVE and spend:
        # The event lies beyond the window it fell in: it may fire the next one.
        reevaluated, more = evaluate_bucket(rule, following, now, event)
        return reevaluated, firings + more
    return replace(following, count=1 if spend else 0), firings


def react_to_event(
    rule: EventRule, bucket: Bucket | None, event: CandidateEvent
) -> tuple[Bucket | None, list[TriggerFired]]:
    """What one covered event does to the trigger's bucket for its key."""
    key = bucketing_key(rule.for_each, event)
    if rule.after and rule.starts_after(event.event) and bucket is None:
        # An event both `after` and `expect` must not count towards the window it opens.
        opening_count = -1 if rule.expects(event.event) else 0
        bucket = Bucket(
            key, event.occurred, event.occurred + rule.within, opening_count, event.as_json()
        )
    if bucket is None and not rule.after and rule.expects(event.event):
        bucket = Bucket(
            key,
            event.occurred - PRECEDING_EVENT_LOOKBACK,
            event.occurred + rule.within,
            last_event=event.as_json(),
        )
    if bucket is None or not rule.expects(event.event):
        return bucket, []
    return evaluate_bucket(rule, bucket, event.occurred, event)


def reach_deadline(
    rule: EventRule, bucket: Bucket, now: datetime
) -> tuple[Bucket | None, list[TriggerFired]]:
    """A proactive trigger's bucket looked at by the clock at `now`, with no event."""
    return evaluate_bucket(rule, bucket, now, None)
