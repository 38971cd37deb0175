"""Replaying deliveries that failed for good or ran out of retries.

A replay puts the delivery back to pending (its attempts are kept and numbered on) and
marks its dead letters replayed; the caller then sends a fresh message to the channel's
queue, which gets the full number of attempts and the full maximum age again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from uuid import UUID

from sqlalchemy import delete, select, update

from models.db.types import utcnow
from models.errors import InvalidRequest, ObjectNotFound
from models.messages.dead_letters import DeadLetter
from models.notifications.channels import ChannelName
from models.notifications.deliveries import Delivery, DeliveryLease
from models.notifications.outcomes import DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

#: Statuses a replay applies to.
REPLAYABLE: Final = (DeliveryStatus.FAILED.value, DeliveryStatus.DEAD.value)


async def reopen_delivery(session: AsyncSession, delivery_id: UUID) -> Delivery:
    """Make a failed or dead delivery pending again and return it as it now is; raises
    ObjectNotFound or InvalidRequest."""
    delivery = await session.get(Delivery, delivery_id, with_for_update=True)
    if delivery is None:
        raise ObjectNotFound("Delivery not found")
    if delivery.status not in REPLAYABLE:
        raise InvalidRequest(
            f"Delivery {delivery_id} is {delivery.status}; only failed or dead ones are replayed"
        )
    now = utcnow()
    delivery.status = DeliveryStatus.PENDING.value
    delivery.updated = now
    await session.execute(delete(DeliveryLease).where(DeliveryLease.delivery_id == delivery_id))
    channel = ChannelName(delivery.channel)
    # Its dead letters are the channel actor's failed messages, whose one argument is the id.
    await session.execute(
        update(DeadLetter)
        .where(
            DeadLetter.queue_name == channel.queue_name,
            DeadLetter.message["args"][0].as_string() == str(delivery_id),
        )
        .values(replay_count=DeadLetter.replay_count + 1, replayed_at=now)
    )
    return delivery


async def reopen_failed_deliveries(session: AsyncSession, limit: int = 1000) -> list[Delivery]:
    """Reopen up to `limit` failed or dead deliveries, oldest first."""
    ids = list(
        await session.scalars(
            select(Delivery.id)
            .where(Delivery.status.in_(REPLAYABLE))
            .order_by(Delivery.created)
            .limit(limit)
        )
    )
    return [await reopen_delivery(session, delivery_id) for delivery_id in ids]
