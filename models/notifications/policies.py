"""Notification policies: which states of which flow runs notify which channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from sqlalchemy import ForeignKey, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from models.automations.policy_automations import keep_policy_automation
from models.blocks.tables import BlockDocument, BlockType
from models.db.base import Base, Created, Id, Updated
from models.db.types import utcnow
from models.errors import InvalidRequest, ObjectNotFound
from models.filters.base import list_matching
from models.notifications.channels import CHANNEL_FOR_BLOCK_TYPE, ChannelName

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from models.schemas.notification_policies import NotificationPolicyFilterBody


class NotificationPolicy(Base):
    """Tell the channel in `block_document_id` when a matching flow run enters a named state.

    Matching follows Prefect 2: no state names means every state, no tags means every run,
    otherwise the run must share at least one tag.
    """

    __tablename__ = "flow_run_notification_policy"

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    state_names: Mapped[list[str]] = mapped_column(default=list)
    tags: Mapped[list[str]] = mapped_column(default=list)
    block_document_id: Mapped[UUID] = mapped_column(
        ForeignKey("block_document.id", ondelete="CASCADE"), index=True
    )
    #: `str.format` template; None means the default template.
    message_template: Mapped[str | None] = mapped_column(Text)


async def check_notification_block(session: AsyncSession, block_document_id: UUID) -> None:
    """Raise unless the block document exists and is one of the nine notification types."""
    slug = await session.scalar(
        select(BlockType.slug)
        .join(BlockDocument, BlockDocument.block_type_id == BlockType.id)
        .where(BlockDocument.id == block_document_id)
    )
    if slug is None:
        raise ObjectNotFound("Block document not found")
    if slug not in CHANNEL_FOR_BLOCK_TYPE:
        raise InvalidRequest(
            f"Block document {block_document_id} is a {slug!r}, which cannot notify; use one "
            f"of {', '.join(sorted(CHANNEL_FOR_BLOCK_TYPE))}"
        )


async def create_notification_policy(
    session: AsyncSession, values: dict[str, Any]
) -> NotificationPolicy:
    """A new policy; its block document must be a notification block."""
    await check_notification_block(session, values["block_document_id"])
    now = utcnow()
    policy = NotificationPolicy(id=uuid4(), created=now, updated=now, **values)
    session.add(policy)
    await session.flush()
    await keep_policy_automation(session, policy)  # the automation evaluated for it
    return policy


async def read_notification_policy(session: AsyncSession, policy_id: UUID) -> NotificationPolicy:
    """The policy; raises ObjectNotFound."""
    policy = await session.get(NotificationPolicy, policy_id)
    if policy is None:
        raise ObjectNotFound("Flow run notification policy not found")
    return policy


async def update_notification_policy(
    session: AsyncSession, policy_id: UUID, changes: dict[str, Any]
) -> None:
    """Set the given columns; raises ObjectNotFound."""
    policy = await read_notification_policy(session, policy_id)
    if changes.get("block_document_id") is not None:
        await check_notification_block(session, changes["block_document_id"])
    for column, value in changes.items():
        setattr(policy, column, value)
    policy.updated = utcnow()
    await keep_policy_automation(session, policy)


async def delete_notification_policy(session: AsyncSession, policy_id: UUID) -> None:
    """Delete the policy (its deliveries are kept, without it); raises ObjectNotFound."""
    result = await session.execute(
        delete(NotificationPolicy).where(NotificationPolicy.id == policy_id)
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise ObjectNotFound("Flow run notification policy not found")


async def filter_notification_policies(
    session: AsyncSession, body: NotificationPolicyFilterBody
) -> list[NotificationPolicy]:
    """The notification policies matching a filter body, oldest first, paged."""
    return await list_matching(session, select(NotificationPolicy), body)


@dataclass(frozen=True)
class NotificationBlock:
    """A block document a policy can send through: its name and the channel it sends on."""

    id: UUID
    name: str | None
    block_type_slug: str
    channel: ChannelName


async def read_notification_blocks(
    session: AsyncSession, ids: list[UUID] | None = None
) -> list[NotificationBlock]:
    """The named documents of the notification block types (only `ids`, if given), by name.

    Names and channels only: what a policy is shown with, never the data (secrets)."""
    query = (
        select(BlockDocument.id, BlockDocument.name, BlockType.slug)
        .join(BlockType, BlockDocument.block_type_id == BlockType.id)
        .where(BlockType.slug.in_(list(CHANNEL_FOR_BLOCK_TYPE)))
        .order_by(BlockDocument.name, BlockDocument.id)
    )
    if ids is None:
        query = query.where(BlockDocument.is_anonymous.is_(False))
    else:
        query = query.where(BlockDocument.id.in_(ids))
    rows = await session.execute(query)
    return [
        NotificationBlock(id, name, slug, CHANNEL_FOR_BLOCK_TYPE[slug]) for id, name, slug in rows
    ]
