"""The hand-over of deliveries to the channel queues, their replay, and giving up on them.

Which notifications a flow-run state sets off is decided by the automations' evaluator (a
notification policy is kept as an automation), which also makes a policy's deliveries; an
automation's other notifications are made by the action runner. Each is queued here on its
channel's queue, where that channel's own worker pool sends it.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID

import dramatiq

from actors import resources
from actors.channels.registry import CHANNELS
from actors.retrying import PERSISTENCE_OPTIONS
from models.messages.outbox import delete_outbox_messages
from models.notifications.channels import ChannelName
from models.notifications.claims import mark_delivery_dead as give_up_delivery
from models.notifications.evaluation import (
    DELIVERY_QUEUEING_ACTOR,
    QueuedDelivery,
    untouched_deliveries,
)
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


async def send_owed_deliveries(deliveries: list[QueuedDelivery], owed: UUID | None) -> None:
    """Queue deliveries committed with the outbox row `owed` owing them, then delete that row.

    A row left behind (this process died, Redis or the database was away) is sent by the
    API's relay to `queue_owed_deliveries`, which queues what is still untouched.
    """
    await queue_deliveries(deliveries)
    if owed is not None:
        await resources.database().write(partial(delete_outbox_messages, message_ids=[owed]))


@dramatiq.actor(
    actor_name=DELIVERY_QUEUEING_ACTOR,
    queue_name="state",
    throws=(ValueError,),  # an id that is not a UUID: a dead letter at once
    **PERSISTENCE_OPTIONS,
)
async def queue_owed_deliveries(delivery_ids: list[str]) -> None:
    """Queue those of the deliveries an outbox row owed that nobody has attempted yet.

    Safe twice: a delivery attempted meanwhile is left alone, and a channel actor given one
    delivery twice claims it once.
    """
    ids = [UUID(delivery_id) for delivery_id in delivery_ids]
    async with resources.database().read_sessions() as session:
        unsent = await untouched_deliveries(session, ids)
    await queue_deliveries(unsent)


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
