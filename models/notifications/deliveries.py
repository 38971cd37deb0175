"""Deliveries of notifications and every HTTP attempt made for them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Created, Id, Updated


class Delivery(Base):
    """One notification for one (notification policy, flow-run state).

    Its id is derived from that pair, so evaluating the same state twice finds the
    existing delivery instead of sending again.
    """

    __tablename__ = "notification_delivery"
    __table_args__ = (
        Index("ix_notification_delivery_channel_status", "channel", "status"),
        Index("ix_notification_delivery_flow_run_id_created", "flow_run_id", "created"),
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
    #: slack, discord, teams, mattermost, opsgenie, pagerduty, sendgrid, twilio or webhook.
    channel: Mapped[str] = mapped_column(String(32))
    flow_run_id: Mapped[UUID | None]
    flow_run_state_id: Mapped[UUID | None]
    #: pending, delivered, failed (permanent answer) or dead (retries exhausted).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    attempt_count: Mapped[int] = mapped_column(default=0)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


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
