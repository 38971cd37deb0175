"""Notification evaluation on the `state` queue, and the hand-over to the channel queues.

`notify_flow_run_state` runs in the state actor after every accepted flow-run state: each
active notification policy the state sets off becomes one delivery (its id derived from
policy and state, so a redelivered state message sends nothing twice), queued on its
channel's queue, where that channel's own worker pool sends it.
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
from models.notifications.evaluation import QueuedDelivery, insert_deliveries, plan_deliveries
from models.notifications.replay import reopen_delivery, reopen_failed_deliveries

if TYPE_CHECKING:
    from models.db.database import Database
    from models.notifications.deliveries import Delivery
    from models.settings import Settings

logger = logging.getLogger(__name__)


def ui_url(settings: Settings) -> str:
    """Where flow-run links point: the UI URL setting, or the API's own address."""
    return settings.ui_url or f"http://{settings.api_host}:{settings.api_port}"


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


async def notify_flow_run_states(entered: list[tuple[UUID, UUID]]) -> None:
    """Create the deliveries that accepted flow-run states set off, and queue them.

    `entered` holds (flow run id, state id) pairs. Safe to run again for the same states:
    nothing is created twice, and only deliveries not yet attempted are queued again (in
    case the first run stopped before queueing them).
    """
    if not entered:
        return
    database = resources.database()
    link_base = ui_url(resources.settings())
    # Read first: most states set off nothing, and then no write transaction is opened.
    async with database.read_sessions() as session:
        planned = await plan_deliveries(session, entered, ui_url=link_base)
    if not planned:
        return
    async with database.sessions.begin() as session:
        queued = await insert_deliveries(session, planned)
    await queue_deliveries(queued)


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
