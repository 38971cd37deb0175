"""Turning an accepted flow-run state into the delivery of a notification policy.

Which policies a state sets off is decided by the automations' evaluator (each policy is kept
as an automation, `models/automations/policy_automations.py`), which renders the delivery
here in the transaction that records the firing (`models/automations/policy_firings.py`); so
does the action runner when a policy's firing is handed to it. A delivery's id is derived
from (policy, state), so handling the same firing again inserts nothing new; what
`insert_deliveries` returns is what still has to be sent, so a message lost between the
insert and the channel queue is sent the next time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from sqlalchemy import exists, select

from models.db.dialect import insert_ignoring_duplicates
from models.db.types import utcnow
from models.notifications.channels import ChannelName
from models.notifications.deliveries import Delivery, DeliveryLease, delivery_id
from models.notifications.outcomes import DeliveryStatus
from models.notifications.policies import NotificationPolicy
from models.notifications.templates import (
    DEFAULT_MESSAGE_TEMPLATE,
    render_message,
    render_subject,
    template_values,
)
from models.runs.flow_runs import FlowRun, FlowRunState

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


#: The actor an outbox row owing deliveries to their channel queues is for (its argument: the
#: deliveries' ids); it queues those still untouched.
DELIVERY_QUEUEING_ACTOR: Final = "queue_owed_deliveries"


@dataclass(frozen=True)
class QueuedDelivery:
    """A delivery to put on its channel's queue."""

    id: UUID
    channel: ChannelName


def render_for_policy(policy: NotificationPolicy, values: dict[str, str]) -> tuple[str, str]:
    """The subject and body of the policy's message."""
    try:
        body = render_message(policy.message_template, values)
    except (KeyError, IndexError, ValueError, AttributeError):
        # Templates are checked when saved; one stored before that check still notifies.
        body = render_message(DEFAULT_MESSAGE_TEMPLATE, values)
    return render_subject(values), body


def delivery_row(
    policy: NotificationPolicy,
    channel: ChannelName,
    flow_name: str,
    flow_run: FlowRun,
    state: FlowRunState,
    ui_url: str,
) -> dict[str, Any]:
    """The pending delivery of one policy for one state, its message rendered."""
    values = template_values(
        policy_id=policy.id,
        flow_id=flow_run.flow_id,
        flow_name=flow_name,
        flow_run_id=flow_run.id,
        flow_run_name=flow_run.name,
        parameters=flow_run.parameters,
        state_type=state.type.value,
        state_name=state.name,
        state_timestamp=state.timestamp,
        state_message=state.message,
        ui_url=ui_url,
    )
    subject, body = render_for_policy(policy, values)
    now = utcnow()
    return {
        "id": delivery_id(policy.id, state.id),
        "created": now,
        "updated": now,
        "policy_id": policy.id,
        "block_document_id": policy.block_document_id,
        "channel": channel.value,
        "flow_run_id": flow_run.id,
        "flow_run_state_id": state.id,
        "status": DeliveryStatus.PENDING.value,
        "subject": subject,
        "body": body,
        "attempt_count": 0,
        "details": {**values, "flow_run_tags": list(flow_run.tags or [])},
    }


async def insert_deliveries(
    session: AsyncSession, rows: list[dict[str, Any]]
) -> list[QueuedDelivery]:
    """Insert the planned deliveries (each once) and return those not sent or being sent yet."""
    if not rows:
        return []
    await insert_ignoring_duplicates(session, Delivery, rows)
    return await untouched_deliveries(session, [row["id"] for row in rows])


async def untouched_deliveries(
    session: AsyncSession, delivery_ids: Sequence[UUID]
) -> list[QueuedDelivery]:
    """Those of the deliveries never attempted nor being attempted: whoever queued them may
    have stopped before it did, so queueing them again is safe and may be needed."""
    untouched = (
        await session.execute(
            select(Delivery.id, Delivery.channel).where(
                Delivery.id.in_(delivery_ids),
                Delivery.status == DeliveryStatus.PENDING.value,
                Delivery.attempt_count == 0,
                ~exists(
                    select(DeliveryLease.delivery_id).where(
                        DeliveryLease.delivery_id == Delivery.id
                    )
                ),
            )
        )
    ).all()
    return [QueuedDelivery(row.id, ChannelName(row.channel)) for row in untouched]
