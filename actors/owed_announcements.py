"""Announcements an actor owes for flow-run states it committed, kept in the outbox until sent.

A service that forces states (crash detection, late runs, expired pauses, stuck
cancellations) and an automation's action (cancel, suspend, run a deployment) commit flow-run
states in a transaction of their own. Their announcements are written into the outbox
(`models.messages.outbox`) in that transaction, sent to Redis after it, and their row deleted
once sent. Should the send fail (Redis away), the message fails and the row stays: the API's
outbox relay sweeps it up when Redis answers again, so retrying the message need not send it
(a retried service finds nothing left to force, a retried action finds its run finished).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from actors import resources
from actors.enqueue import enqueue
from actors.persistence import announce_flow_run_states
from models.messages.outbox import delete_outbox_messages

if TYPE_CHECKING:
    from uuid import UUID

    from models.messages.announcements import Announcement


async def send_owed_announcements(announcements: list[Announcement], owed: UUID | None) -> None:
    """Send announcements committed in the outbox as row `owed`, then delete that row.

    A row whose delete fails (the database away) is sent once more by the API's sweep:
    `announce_flow_run_states` is idempotent, so that changes nothing.
    """
    if not announcements:
        return
    await enqueue(announce_flow_run_states, announcements)
    if owed is not None:
        await resources.database().write(partial(delete_outbox_messages, message_ids=[owed]))
