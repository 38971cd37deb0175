"""The hand-over of deliveries to the channel queues, their replay, and giving up on them.

Which notifications a flow-run state sets off is decided by the automations' evaluator (a
notification policy is kept as an automation) and the deliveries are made by the action
runner; each is queued here on its channel's queue, where that channel's own worker pool
sends it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

import dramatiq

from actors import resources
from actors.channels.registry import CHANNELS
from actors.retrying import PERSISTENCE_OPTIONS
from models.notifications.channels import ChannelName
from models.notifications.claims import mark_delivery_dead as give_up_delivery
from models.notifications.evaluation import QueuedDelivery
from models.notifications.replay import reopen_delivery, reopen_failed_deliveries

if TYPE_CHECKING:
    from models.db.database import Database
    from models.notifications.deliveries import Delivery

logger = logging.getLogger(__name__)


def send_deliveries(deliveries: list[QueuedDelivery]) -> None:
    """Put each delivery on its channel's queue (blocking: one Redis round trip each)."""
    for delivery in deliveries:
        CHANNELS[delivery.channel].actor.send(str(delivery.id))


async def queue_deliveries(deliveries: list[QueuedDelivery]) -> None:
    """Put each delivery on its channel's queue without blocking the event loop."""
    if deliveries:
        # One hop to a thread for the whole batch: `enqueue` would make one per message.
        await asyncio.to_thread(send_deliveries, deliveries)


async def replay_deliveries(database: Database, delivery_id: UUID | None = None) -> list[Delivery]:
    """Reopen a failed or dead delivery (without an id: every one) and queue it again, with a
    fresh budget of attempts; returns the deliveries as they now are.

    The API's replay and `signalbox notifications replay` both call this. Raises
    ObjectNotFound or InvalidRequest when that delivery cannot be replayed.
    """
    async with database.sessions.begin() as session:
        if delivery_id is None:
            reopened = await reopen_failed_deliveries(session)
        else:
            reopened = [await reopen_delivery(session, delivery_id)]
    # Queued once the transaction is committed: the channel actor must find it pending.
    await queue_deliveries([QueuedDelivery(row.id, ChannelName(row.channel)) for row in reopened])
    return reopened


@dramatiq.actor(queue_name="state", **PERSISTENCE_OPTIONS)
async def mark_delivery_dead(message: dict[str, Any], retries: dict[str, Any]) -> None:
    """Give up on the delivery of a channel message whose tries ran out on unexpected errors.

    Dramatiq sends this (`on_retry_exhausted`) with the failed message; the receiver's own
    answers never end here, the channel actor decides those itself.
    """
    delivery_id = UUID(str(message["args"][0]))
    reason = (
        f"{message.get('actor_name', 'the channel actor')} failed {retries.get('retries')} times"
    )
    async with resources.database().sessions.begin() as session:
        if await give_up_delivery(session, delivery_id, reason):
            logger.warning("Delivery %s given up: %s.", delivery_id, reason)
