"""Notification policies: which states of which flow runs notify which channel."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Updated


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
