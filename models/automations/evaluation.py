"""Reactive evaluation: stored events counted by the triggers that cover them, in one
transaction per batch.

Exactly once per (trigger, event): the first thing written is an `automation_evaluated_event`
row per covered pair, inserted only if missing, and only the pairs this transaction inserted
go on to count. A redelivered message, the sweep reading an event the ingest path already
sent, or a second worker holding the same batch therefore count nothing twice; and because
the rows, the buckets and the firings commit together, a worker killed mid-batch leaves
nothing behind and its redelivered message evaluates the batch whole.

Two evaluators on the same buckets wait for each other: PostgreSQL through transaction
locks on the buckets' (and their composite parents') ids, taken in a fixed order; SQLite
because its write transactions begin IMMEDIATE.

Most events are covered by no trigger: they cost a pass over the rules in memory and no
write at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select

from models.automations.buckets import Bucket, TriggerFired, react_to_event
from models.automations.firing_writes import Recorded, bucket_id, record_firings
from models.automations.matching import CandidateEvent, bucketing_key
from models.automations.trigger_state import AutomationBucket, EvaluatedEvent
from models.db.dialect import hold_transaction_locks, ignoring_duplicates, upsert
from models.events.tables import EventRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.trigger_rules import AutomationRules, EventRule


@dataclass(frozen=True)
class CoveredEvent:
    """An event one trigger of an automation covers."""

    automation: AutomationRules
    rule: EventRule
    event: CandidateEvent

    @property
    def bucket_id(self) -> UUID:
        return bucket_id(self.rule.id, bucketing_key(self.rule.for_each, self.event))


def covered_events(
    automations: Sequence[AutomationRules], events: Iterable[CandidateEvent]
) -> list[CoveredEvent]:
    """Every (trigger, event) pair to evaluate, events oldest first."""
    ordered = sorted(events, key=lambda event: (event.occurred, str(event.id)))
    return [
        CoveredEvent(automation, rule, event)
        for event in ordered
        for automation in automations
        for rule in automation.events
        if rule.covers(event)
    ]


def ancestors(automation: AutomationRules, rule: EventRule) -> list[UUID]:
    found, parent_id = [], rule.parent_id
    while parent_id is not None:
        found.append(parent_id)
        parent_id = automation.composites[parent_id].parent_id
    return found


def lock_keys(covered: Iterable[CoveredEvent]) -> set[UUID]:
    """The buckets the pairs touch, and the composites their firings may touch."""
    keys: set[UUID] = set()
    for pair in covered:
        keys.add(pair.bucket_id)
        keys.update(ancestors(pair.automation, pair.rule))
    return keys


async def read_candidate_events(
    session: AsyncSession, event_ids: Sequence[UUID], *, received_after: datetime
) -> list[CandidateEvent]:
    """The stored events among `event_ids` received after `received_after` (older ones may
    have had their evaluation records pruned, so they are not evaluated again)."""
    rows = await session.scalars(
        select(EventRow).where(EventRow.id.in_(event_ids), EventRow.received > received_after)
    )
    return [candidate_event(row) for row in rows]


def candidate_event(row: EventRow) -> CandidateEvent:
    return CandidateEvent(
        id=row.id,
        occurred=row.occurred,
        received=row.received,
        event=row.event,
        resource=row.resource,
        related=row.related,
        payload=row.payload,
        follows=row.follows,
    )


async def claim_evaluations(
    session: AsyncSession, covered: Sequence[CoveredEvent], now: datetime
) -> list[CoveredEvent]:
    """Record the pairs as evaluated and return those that were not already."""
    rows = {
        (pair.rule.id, pair.event.id): {
            "trigger_id": pair.rule.id,
            "event_id": pair.event.id,
            "automation_id": pair.automation.automation_id,
            "evaluated": now,
        }
        for pair in covered
    }
    inserted = await session.execute(
        ignoring_duplicates(session, EvaluatedEvent, ["trigger_id", "event_id"]),
        list(rows.values()),
    )
    new = {(row.trigger_id, row.event_id) for row in inserted}
    return [pair for pair in covered if (pair.rule.id, pair.event.id) in new]


async def read_buckets(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, Bucket]:
    rows = await session.scalars(select(AutomationBucket).where(AutomationBucket.id.in_(set(ids))))
    return {
        row.id: Bucket(
            tuple(row.bucketing_key),
            row.start,
            row.end,
            row.count,
            row.last_event,
            tuple(row.event_ids),
        )
        for row in rows
    }


async def write_buckets(
    session: AsyncSession,
    changed: dict[UUID, tuple[EventRule, Bucket | None]],
    now: datetime,
) -> None:
    """Keep the buckets that stay open and delete the others."""
    closed = [bucket_key for bucket_key, (_, bucket) in changed.items() if bucket is None]
    if closed:
        await session.execute(delete(AutomationBucket).where(AutomationBucket.id.in_(closed)))
    kept = [
        {
            "id": bucket_key,
            "automation_id": rule.automation_id,
            "trigger_id": rule.id,
            "bucketing_key": list(bucket.key),
            "start": bucket.start,
            "end": bucket.end,
            "count": bucket.count,
            "last_event": bucket.last_event,
            "event_ids": list(bucket.event_ids),
            "updated": now,
        }
        for bucket_key, (rule, bucket) in changed.items()
        if bucket is not None
    ]
    if kept:
        columns = ["bucketing_key", "start", "end", "count", "last_event", "event_ids", "updated"]
        dialect = session.get_bind().dialect.name
        await session.execute(upsert(dialect, AutomationBucket, key=["id"], columns=columns), kept)


async def evaluate_events(
    session: AsyncSession,
    automations: Sequence[AutomationRules],
    events: Iterable[CandidateEvent],
    now: datetime,
) -> Recorded:
    """Count the events in the buckets of the triggers that cover them; returns the firings
    this inserted (the action runner must be handed each, after commit)."""
    covered = covered_events(automations, events)
    if not covered:
        return Recorded()
    await hold_transaction_locks(session, lock_keys(covered))
    covered = await claim_evaluations(session, covered, now)
    if not covered:
        return Recorded()
    stored = await read_buckets(session, (pair.bucket_id for pair in covered))
    changed: dict[UUID, tuple[EventRule, Bucket | None]] = {}
    fired: list[tuple[AutomationRules, UUID | None, TriggerFired]] = []
    for pair in covered:
        key = pair.bucket_id
        current = changed[key][1] if key in changed else stored.get(key)
        bucket, firings = react_to_event(pair.rule, current, pair.event)
        changed[key] = (pair.rule, bucket)
        fired += [(pair.automation, pair.rule.parent_id, firing) for firing in firings]
    await write_buckets(session, changed, now)
    return await record_firings(session, fired, now)
