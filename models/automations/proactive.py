"""Proactive evaluation: the clock's look at proactive triggers whose windows have ended.

A proactive trigger fires when a window ends holding fewer than `threshold` events. Events
only count; it is the clock that notices a window ran out, as Prefect's server does on its
periodic pass: without `for_each`, a window is always open (one starts at the first look);
with it, windows are opened by the events of each key. Buckets already at their threshold
are dropped first, as they can no longer fire.

A firing's cause is the end of the window that ran out, so a look repeated after a crash,
or by a second clock, records nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import delete, select

from models.automations.buckets import Bucket, TriggerFired, reach_deadline
from models.automations.evaluation import ancestors, read_buckets, write_buckets
from models.automations.firing_writes import Recorded, bucket_id, record_firings
from models.automations.trigger_rules import Posture
from models.automations.trigger_state import AutomationBucket
from models.db.dialect import hold_transaction_locks, ignoring_duplicates

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.trigger_rules import AutomationRules, EventRule


def proactive_rules(automations: list[AutomationRules]) -> list[tuple[AutomationRules, EventRule]]:
    return [
        (automation, rule)
        for automation in automations
        for rule in automation.events
        if rule.posture is Posture.PROACTIVE
    ]


async def open_unkeyed_window(session: AsyncSession, rule: EventRule, now: datetime) -> None:
    """Without `for_each`, a window is always open: start one at `now` if there is none."""
    await session.execute(
        ignoring_duplicates(session, AutomationBucket, ["id"]),
        [
            {
                "id": bucket_id(rule.id, ()),
                "automation_id": rule.automation_id,
                "trigger_id": rule.id,
                "bucketing_key": [],
                "start": now,
                "end": now + rule.within,
                "count": 0,
                "last_event": None,
                "event_ids": [],
                "updated": now,
            }
        ],
    )


async def evaluate_proactive_trigger(
    session: AsyncSession, automation: AutomationRules, rule: EventRule, now: datetime
) -> Recorded:
    """Fire the trigger's windows that ended at `now` short of their threshold; returns the
    firings this inserted."""
    existing = set(
        await session.scalars(
            select(AutomationBucket.id).where(AutomationBucket.trigger_id == rule.id)
        )
    )
    unkeyed = set() if rule.for_each else {bucket_id(rule.id, ())}
    await hold_transaction_locks(session, existing | unkeyed | set(ancestors(automation, rule)))
    if unkeyed:
        await open_unkeyed_window(session, rule, now)
    await session.execute(
        delete(AutomationBucket).where(
            AutomationBucket.trigger_id == rule.id, AutomationBucket.count >= rule.threshold
        )
    )
    due = set(
        await session.scalars(
            select(AutomationBucket.id).where(
                AutomationBucket.trigger_id == rule.id, AutomationBucket.end <= now
            )
        )
    )
    changed: dict[UUID, tuple[EventRule, Bucket | None]] = {}
    fired: list[tuple[AutomationRules, UUID | None, TriggerFired]] = []
    for key, bucket in (await read_buckets(session, due)).items():
        following, firings = reach_deadline(rule, bucket, now)
        changed[key] = (rule, following)
        fired += [(automation, rule.parent_id, firing) for firing in firings]
    await write_buckets(session, changed, now)
    return await record_firings(session, fired, now)
