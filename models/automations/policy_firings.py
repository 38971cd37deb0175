"""A notification policy's firing acted on by the evaluator itself, in the transaction that
records it, instead of a hop through the `actions` queue.

A policy's automation has one action, a `send-notification` to the policy's block
(`policy_automations.py`). For each of its new firings this writes, beside the firing, what
the action runner would have written: the delivery (id from policy and state), the action
run (id from firing and action index, already finished) and the action's triggered and
executed (or failed) events; and an outbox row owing the deliveries to their channel queues.

Exactly once, as through the action runner: the firing is new in this transaction (a second
evaluation of its event inserts no firing), the action run and the delivery are keyed, and a
firing handed to `act_on_firing` anyway (`resend_unacted_firings`, a replay) finds its action
run finished and only queues its delivery if it was never attempted. Nothing is lost between
the commit and the channel queues: the outbox row is committed with the delivery, and the
API's relay sends what the evaluator did not (it died, Redis was away).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import select

from models.automations.action_events import action_events
from models.automations.action_runs import ActionRun, ActionRunStatus, action_run_id
from models.automations.actions.invocation import ActionFailed, Invocation
from models.automations.actions.notifications import policy_delivery
from models.automations.firings import Firing, FiringKind
from models.automations.tables import Automation
from models.db.dialect import insert_ignoring_duplicates
from models.db.types import utcnow
from models.events.tables import insert_events
from models.messages.outbox import add_outbox_message
from models.notifications.evaluation import (
    DELIVERY_QUEUEING_ACTOR,
    QueuedDelivery,
    insert_deliveries,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: The action of a policy's automation: the only one the evaluator performs itself.
SEND_NOTIFICATION = "send-notification"


@dataclass(frozen=True)
class ActedFirings:
    """What acting on policy firings left to do once committed."""

    #: The firings acted on here: not to be handed to the action runner.
    firing_ids: set[UUID] = field(default_factory=set)
    #: Deliveries to put on their channel queues.
    deliveries: list[QueuedDelivery] = field(default_factory=list)
    #: The actions' events, for subscribers.
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The outbox row owing `deliveries`, deleted once they are queued.
    owed: UUID | None = None


def is_policy_notification(automation: Automation, firing: Firing) -> bool:
    """A triggered firing of a policy's automation whose one action is its notification (an
    automation changed to do more goes through the action runner)."""
    return (
        automation.notification_policy_id is not None
        and firing.kind == FiringKind.TRIGGERED.value
        and not automation.actions_on_trigger
        and len(automation.actions or []) == 1
        and dict(automation.actions[0]).get("type") == SEND_NOTIFICATION
    )


async def read_policy_firings(
    session: AsyncSession, firing_ids: Sequence[UUID]
) -> list[tuple[Firing, Automation]]:
    """Those of the firings whose automation is a notification policy's, with it."""
    rows = await session.execute(
        select(Firing, Automation)
        .join(Automation, Automation.id == Firing.automation_id)
        .where(Firing.id.in_(list(firing_ids)), Automation.notification_policy_id.is_not(None))
    )
    return [
        (firing, automation)
        for firing, automation in rows.all()
        if is_policy_notification(automation, firing)
    ]


async def act_on_policy_firings(
    session: AsyncSession,
    firing_ids: Sequence[UUID],
    *,
    now: datetime,
    ui_url: str,
    template_max_bytes: int,
) -> ActedFirings:
    """Perform the notification of each policy firing among `firing_ids` (new firings, in the
    transaction that inserted them); the other firings are left to the action runner."""
    if not firing_ids:
        return ActedFirings()
    found = await read_policy_firings(session, firing_ids)
    if not found:
        return ActedFirings()
    runs: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for firing, automation in found:
        invocation = Invocation(
            automation=automation,
            firing=firing,
            action=dict(automation.actions[0]),
            index=0,
            run_id=action_run_id(firing.id, 0),
            ui_url=ui_url,
            template_max_bytes=template_max_bytes,
        )
        failure: str | None = None
        details: dict[str, Any] = {}
        related: list[dict[str, str]] = []
        try:
            row, related = await policy_delivery(session, invocation)
            deliveries.append(row)
            details = {"delivery_id": str(row["id"])}
        except ActionFailed as failed:
            failure = failed.reason
        except (ValueError, TypeError, KeyError) as error:
            # Data the notification cannot use fails the action for good, as the action runner
            # records it; it never holds up the evaluation of the other events.
            failure = f"{type(error).__name__}: {error}"
        ended = utcnow()
        runs.append(finished_run(invocation, now, ended, failure, details))
        events += action_events(
            invocation,
            started=now,
            ended=ended,
            failure=failure,
            details=details,
            acted_on=related,
        )
    # The firings are new in this transaction, so every action run is too: nothing else can
    # have acted on them yet.
    await insert_ignoring_duplicates(session, ActionRun, runs)
    queued = await insert_deliveries(session, deliveries)
    await session.run_sync(lambda sync_session: insert_events(sync_session, events))
    owed = None
    if queued:
        owing = [str(delivery.id) for delivery in queued]
        owed = await session.run_sync(
            lambda sync_session: add_outbox_message(sync_session, DELIVERY_QUEUEING_ACTOR, owing)
        )
    return ActedFirings({firing.id for firing, _ in found}, queued, events, owed)


def finished_run(
    invocation: Invocation,
    started: datetime,
    ended: datetime,
    failure: str | None,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The action run of the notification, ended as the action runner would record it."""
    status = ActionRunStatus.SUCCEEDED if failure is None else ActionRunStatus.FAILED
    return {
        "id": invocation.run_id,
        "created": started,
        "updated": ended,
        "firing_id": invocation.firing.id,
        "automation_id": invocation.automation.id,
        "action_index": invocation.index,
        "action_type": invocation.action_type,
        "status": status.value,
        "reason": failure,
        "attempts": 1,
        "started": started,
        "finished": ended,
        "lease_expires": None,
        "details": details,
    }
