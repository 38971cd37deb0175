"""Wire schemas of deliveries and their attempts, as the API and the CLI show them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.filters.base import PagedFilterBody
from models.notifications.channels import ChannelName


class AttemptResponse(BaseModel):
    """One HTTP try of a delivery (the excerpt has every secret blanked out)."""

    model_config = ConfigDict(from_attributes=True)

    number: int
    created: datetime
    outcome: str
    status_code: int | None
    error_class: str | None
    duration_ms: float
    excerpt: str | None
    target: str | None
    provider_id: str | None
    retry_after_ms: int | None


class DeliveryResponse(BaseModel):
    """A delivery, with its attempts when one delivery is read."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    policy_id: UUID | None
    block_document_id: UUID | None
    channel: str
    flow_run_id: UUID | None
    flow_run_state_id: UUID | None
    #: The automation and firing that sent it; None for a delivery made before automations.
    automation_id: UUID | None = None
    firing_id: UUID | None = None
    #: Sent to test its notification policy: a sample message, for no flow run.
    test: bool = False
    status: str
    subject: str
    body: str
    attempt_count: int
    delivered_at: datetime | None
    last_error: str | None
    attempts: list[AttemptResponse] = Field(default_factory=list)

    @classmethod
    def from_row(cls, delivery: Any, attempts: list[Any] | None = None) -> DeliveryResponse:
        response = cls.model_validate(delivery)
        if attempts:
            response.attempts = [AttemptResponse.model_validate(attempt) for attempt in attempts]
        return response


class DeliveryFilterBody(PagedFilterBody):
    """The body of POST /api/notification_deliveries/filter: every criterion given must hold."""

    flow_run_id: UUID | None = None
    policy_id: UUID | None = None
    statuses: list[Literal["pending", "delivered", "failed", "dead"]] | None = None
    channels: list[ChannelName] | None = None
    #: Include each delivery's attempts.
    include_attempts: bool = False
