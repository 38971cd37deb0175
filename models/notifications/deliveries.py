"""Deliveries of notifications and every HTTP attempt made for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final
from uuid import UUID, uuid5

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Updated

#: The namespace of delivery ids (uuid5 of policy and state).
DELIVERY_NAMESPACE: Final = UUID("0b8f2d7e-5a43-4c1b-9d2e-7f1c3a9b6e54")
#: The key of the details of a test delivery (`models/notifications/sample_deliveries.py`).
TEST_DETAIL: Final = "test"


def delivery_id(policy_id: UUID, state_id: UUID) -> UUID:
    """One delivery per (notification policy, flow-run state), however often we evaluate."""
    return uuid5(DELIVERY_NAMESPACE, f"{policy_id}:{state_id}")


class Delivery(Base):
    """One notification for one (notification policy, flow-run state).

    Its id is derived from that pair, so evaluating the same state twice finds the
    existing delivery instead of sending again.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        Index("ix_notification_delivery_channel_status", "channel", "status"),
        Index("ix_notification_delivery_flow_run_id_created", "flow_run_id", "created"),
        Index("ix_notification_delivery_status_created", "status", "created"),
        Index("ix_notification_delivery_automation_id", "automation_id"),
    )

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    policy_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("flow_run_notification_policy.id", ondelete="SET NULL"), index=True
    )
    block_document_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("block_document.id", ondelete="SET NULL")
    )
    #: A `ChannelName` value: slack, discord, webhook, ...
    channel: Mapped[str] = mapped_column(String(32))
    flow_run_id: Mapped[UUID | None]
    flow_run_state_id: Mapped[UUID | None]
    #: The automation and firing whose send-notification or call-webhook action made it
    #: (None for a delivery made before automations). Plain ids, no foreign keys: the
    #: history of what was sent outlives the automation.
    automation_id: Mapped[UUID | None]
    firing_id: Mapped[UUID | None]
    #: pending, delivered, failed (permanent answer) or dead (retries exhausted).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attempt_count: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: What the senders need besides subject and body: the placeholders' values (state
    #: type and name, timestamp, flow-run URL...).
    details: Mapped[dict[str, Any] | None]

    @property
    def test(self) -> bool:
        """Whether an operator sent it to test its policy, for no flow run's state."""
        return bool((self.details or {}).get(TEST_DETAIL))


class DeliveryAttempt(Base):
    """One HTTP try of a delivery, with what the receiver answered (secrets removed)."""

    __tablename__ = "notification_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[Id]
    created: Mapped[Created]
    delivery_id: Mapped[UUID] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    #: delivered, transient or permanent.
    outcome: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None]
    error_class: Mapped[str | None] = mapped_column(String(128))
    duration_ms: Mapped[float]
    #: The start of the receiver's answer, with every secret the request carried blanked out.
    excerpt: Mapped[str | None] = mapped_column(Text)
    #: The recipient, for channels that send one request per recipient (SMS numbers,
    #: Mattermost channels); None for one request per delivery.
    target: Mapped[str | None] = mapped_column(String(255))
    #: The receiver's id for what it accepted (Discord message, Twilio sid, Opsgenie request).
    provider_id: Mapped[str | None] = mapped_column(String(255))
    #: How long the receiver asked us to wait before the next try.
    retry_after_ms: Mapped[int | None]


class DeliveryLease(Base):
    """A delivery being attempted right now, by the message holding the lease.

    A second message for the same delivery (a redelivery, a replay) waits until the lease
    is released or expires. A lease that expired without being released is an attempt
    whose worker died mid-request: the next claim records it as interrupted.
    """

    __tablename__ = "notification_lease"

    delivery_id: Mapped[UUID] = mapped_column(
        ForeignKey("notification_delivery.id", ondelete="CASCADE"), primary_key=True
    )
    created: Mapped[Created]
    #: The Dramatiq message id of the holder.
    holder: Mapped[str] = mapped_column(String(64))
    #: The number the holder's attempt will be recorded under.
    attempt_number: Mapped[int]
    expires: Mapped[datetime]
