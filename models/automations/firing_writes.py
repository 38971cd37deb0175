"""Recording what fired: firings, their composite parents, and the `prefect.automation.*` events.

A firing's id derives from what fired it (automation, trigger, bucketing key and cause), and
the triggered event's id from the firing's, so evaluating the same events again inserts
nothing: the caller hands to the action runner only the firings this call inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

from sqlalchemy import delete, select

from models.automations.buckets import TriggerFired
from models.automations.composites import ChildFiring, composite_ready, still_counting
from models.automations.firings import Firing, FiringKind
from models.automations.trigger_state import CompositeChildFiring
from models.db.dialect import dialect_insert, insert_ignoring_duplicates
from models.events.tables import EventRow
from models.schemas.events import Event

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.automations.trigger_rules import AutomationRules, CompositeRule

#: The namespace of every id derived here (firings, automation events, buckets).
DERIVED_IDS: Final = UUID("6f1d3c52-1f0e-4b1e-9a7c-5b3f1c2a9e41")


@dataclass(frozen=True)
class Recorded:
    """What one evaluation recorded: the new firings, to hand to the action runner once
    committed, and their `prefect.automation.triggered` events, to publish then."""

    firing_ids: list[UUID] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


def firing_id(automation_id: UUID, fired: TriggerFired) -> UUID:
    key = "\x1f".join(fired.key)
    return uuid5(DERIVED_IDS, f"firing/{automation_id}/{fired.trigger_id}/{key}/{fired.cause}")


def bucket_id(trigger_id: UUID, key: Sequence[str]) -> UUID:
    """The one bucket a trigger has for a `for_each` key."""
    return uuid5(DERIVED_IDS, f"bucket/{trigger_id}/{chr(0x1F).join(key)}")


async def record_child_firing(
    session: AsyncSession, composite: CompositeRule, fired: TriggerFired, child_id: UUID
) -> TriggerFired | None:
    """Note a child's firing; the composite's own firing when that completes it, else None."""
    if composite.required == 1 and (composite.kind == "compound" or len(composite.child_ids) == 1):
        # One child's firing is enough: nothing to remember.
        return replace(fired, trigger_id=composite.id, key=(), cause=f"child/{child_id}")
    insert = dialect_insert(session, CompositeChildFiring)
    row = {
        "composite_trigger_id": composite.id,
        "child_trigger_id": fired.trigger_id,
        "automation_id": composite.automation_id,
        "firing_id": child_id,
        "occurred": fired.occurred,
        "triggering_event": fired.triggering_event,
        "event_ids": list(fired.event_ids),
    }
    await session.execute(
        insert.values(row).on_conflict_do_update(
            index_elements=["composite_trigger_id", "child_trigger_id"],
            set_={
                column: insert.excluded[column]
                for column in ("firing_id", "occurred", "triggering_event", "event_ids")
            },
        )
    )
    stored = [
        ChildFiring(
            row.child_trigger_id,
            row.firing_id,
            row.occurred,
            row.triggering_event,
            tuple(row.event_ids),
        )
        for row in await session.scalars(
            select(CompositeChildFiring).where(
                CompositeChildFiring.composite_trigger_id == composite.id
            )
        )
    ]
    counting = still_counting(composite, stored, fired.occurred)
    expired = {firing.child_trigger_id for firing in stored} - {
        firing.child_trigger_id for firing in counting
    }
    ready = composite_ready(composite, counting)
    spent = {firing.child_trigger_id for firing in counting} if ready else set()
    if expired | spent:
        await session.execute(
            delete(CompositeChildFiring).where(
                CompositeChildFiring.composite_trigger_id == composite.id,
                CompositeChildFiring.child_trigger_id.in_(expired | spent),
            )
        )
    if not ready:
        return None
    return replace(
        fired,
        trigger_id=composite.id,
        key=(),
        labels={},
        event_ids=tuple(event_id for firing in counting for event_id in firing.event_ids),
        cause="children/" + ",".join(sorted(str(firing.firing_id) for firing in counting)),
    )


async def climb_composites(
    session: AsyncSession, automation: AutomationRules, parent_id: UUID | None, fired: TriggerFired
) -> TriggerFired | None:
    """The firing that reaches the automation itself, through its composite ancestors; None
    while a composite still waits for other children."""
    reached: TriggerFired | None = fired
    while parent_id is not None and reached is not None:
        composite = automation.composites[parent_id]
        reached = await record_child_firing(
            session, composite, reached, firing_id(automation.automation_id, reached)
        )
        parent_id = composite.parent_id
    return reached


def triggered_event(
    automation: AutomationRules, firing: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The `prefect.automation.triggered` event of a firing, shaped as Prefect's server's."""
    resource = {
        "prefect.resource.id": f"prefect.automation.{automation.automation_id}",
        "prefect.resource.name": automation.name,
    }
    if automation.top_posture is not None:
        resource["prefect.posture"] = automation.top_posture
    triggering_event = firing["triggering_event"]
    related = (
        [
            {
                "prefect.resource.id": f"prefect.event.{triggering_event['id']}",
                "prefect.resource.role": "triggering-event",
            }
        ]
        if triggering_event
        else []
    )
    return {
        "id": uuid5(DERIVED_IDS, f"triggered/{firing['id']}"),
        "occurred": now,
        "event": f"prefect.automation.{FiringKind.TRIGGERED.value}",
        "resource": resource,
        "related": related,
        "payload": {
            "triggering_labels": firing["triggering_labels"],
            "triggering_event": triggering_event,
        },
    }


async def record_firings(
    session: AsyncSession,
    fired: Sequence[tuple[AutomationRules, UUID | None, TriggerFired]],
    now: datetime,
) -> Recorded:
    """Record what fired ((automation, parent composite id, what fired) each); returns the
    firings that are new and their events."""
    rows: dict[UUID, dict[str, Any]] = {}
    owners: dict[UUID, AutomationRules] = {}
    for automation, parent_id, trigger_fired in fired:
        reached = await climb_composites(session, automation, parent_id, trigger_fired)
        if reached is None:
            continue
        row_id = firing_id(automation.automation_id, reached)
        owners[row_id] = automation
        rows[row_id] = {
            "id": row_id,
            "created": now,
            "automation_id": automation.automation_id,
            "trigger_id": reached.trigger_id,
            "kind": FiringKind.TRIGGERED.value,
            "occurred": reached.occurred,
            "triggering_labels": reached.labels,
            "triggering_event": reached.triggering_event,
            "triggering_event_ids": list(reached.event_ids),
        }
    if not rows:
        return Recorded()
    inserted = await session.scalars(
        dialect_insert(session, Firing)
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(Firing.id),
        list(rows.values()),
    )
    new = list(inserted.all())
    events = [
        Event.model_validate(triggered_event(owners[row_id], rows[row_id], now)) for row_id in new
    ]
    await insert_ignoring_duplicates(session, EventRow, [event.row(now) for event in events])
    return Recorded(
        new, [event.model_dump(mode="json") | {"received": now.isoformat()} for event in events]
    )
