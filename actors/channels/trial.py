"""A test notification: one attempt made now through a block document, outside any delivery.

`signalbox notifications test` sends it, to check that a channel's block reaches its
receiver. Nothing is recorded and nothing is retried: the answers are returned to print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final
from uuid import UUID, uuid4

from actors.channels.delivery import Notification, attempt_notification
from actors.channels.registry import CHANNELS
from models.blocks.documents import read_block_data, read_block_document_by_name
from models.blocks.encryption import block_key_for
from models.errors import InvalidRequest, ObjectNotFound
from models.notifications.channels import ChannelName, channel_for_block_type

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.blocks.documents import BlockData
    from models.db.database import Database
    from models.notifications.claims import AttemptResult
    from models.settings import Settings

#: The subject and body of a test notification.
TEST_SUBJECT: Final = "Test notification from Signalbox"
TEST_BODY: Final = "If you can read this, Signalbox can reach this channel."


async def read_block_by_reference(
    session: AsyncSession, reference: str, settings: Settings
) -> BlockData:
    """The data of the block document `reference` names: its id, or `<block-type-slug>/<name>`.

    Raises ObjectNotFound, or InvalidRequest for a reference that is neither.
    """
    block_key = block_key_for(settings)
    try:
        if "/" in reference:
            slug, name = reference.split("/", 1)
            document_id = (await read_block_document_by_name(session, slug, name, block_key)).id
        else:
            document_id = block_document_id(reference)
        return await read_block_data(session, document_id, block_key)
    except ObjectNotFound:
        raise ObjectNotFound(f"No block document {reference}") from None


def block_document_id(reference: str) -> UUID:
    try:
        return UUID(reference)
    except ValueError:
        raise InvalidRequest(f"{reference!r} is not a block document id") from None


async def send_test_notification(
    database: Database, settings: Settings, block_reference: str
) -> tuple[ChannelName, list[AttemptResult]]:
    """Send a test message through the block document now; its channel and what each
    receiver answered. Raises ObjectNotFound, or InvalidRequest for a block that cannot
    notify."""
    async with database.read_sessions() as session:
        block = await read_block_by_reference(session, block_reference, settings)
    channel = channel_for_block_type(block.block_type_slug)
    if channel is None:
        raise InvalidRequest(f"A {block.block_type_slug!r} block cannot notify")
    notification = Notification(
        delivery_id=uuid4(),
        subject=TEST_SUBJECT,
        body=TEST_BODY,
        details={"flow_run_url": settings.ui_url, "flow_run_state_name": "Test"},
        data=block.data,
    )
    results, _ = await attempt_notification(CHANNELS[channel], notification, settings)
    return channel, results
