"""Wire schemas of notification policies, in Prefect 2's `flow_run_notification_policies` shape."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement

from models.filters.base import FilterModel, Listing
from models.filters.criteria import BoolCriteria
from models.notifications.policies import NotificationPolicy
from models.notifications.templates import validate_message_template


class NotificationPolicyCreate(BaseModel):
    """The body of POST /api/flow_run_notification_policies/."""

    model_config = ConfigDict(extra="ignore")

    is_active: bool = True
    #: Empty: every state.
    state_names: list[str] = Field(default_factory=list, max_length=100)
    #: Empty: every flow run; otherwise runs sharing at least one of these tags.
    tags: list[str] = Field(default_factory=list, max_length=100)
    block_document_id: UUID
    #: None: the default template.
    message_template: str | None = Field(default=None, max_length=10_000)

    @field_validator("state_names", "tags", mode="before")
    @classmethod
    def null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("message_template")
    @classmethod
    def known_placeholders_only(cls, value: str | None) -> str | None:
        return None if value is None else validate_message_template(value)


class NotificationPolicyUpdate(BaseModel):
    """The body of PATCH /api/flow_run_notification_policies/{id}: only what is sent changes.

    A null `message_template` goes back to the default template; a null in any other field
    means "not given".
    """

    model_config = ConfigDict(extra="ignore")

    is_active: bool | None = None
    state_names: list[str] | None = Field(default=None, max_length=100)
    tags: list[str] | None = Field(default=None, max_length=100)
    block_document_id: UUID | None = None
    message_template: str | None = Field(default=None, max_length=10_000)

    @field_validator("message_template")
    @classmethod
    def known_placeholders_only(cls, value: str | None) -> str | None:
        return None if value is None else validate_message_template(value)

    def changes(self) -> dict[str, Any]:
        """The columns to set: fields sent, nulls dropped except the template's."""
        sent = self.model_dump(include=self.model_fields_set)
        return {
            column: value
            for column, value in sent.items()
            if value is not None or column == "message_template"
        }


class NotificationPolicyResponse(BaseModel):
    """A notification policy as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    is_active: bool
    state_names: list[str]
    tags: list[str]
    block_document_id: UUID
    message_template: str | None


class NotificationPolicyFilter(FilterModel):
    """Criteria on notification policies (Prefect 2 offers `is_active` only)."""

    is_active: BoolCriteria | None = None

    def clause(self) -> ColumnElement[bool] | None:
        return self.is_active.clause(NotificationPolicy.is_active) if self.is_active else None


class NotificationPolicyFilterBody(Listing):
    """The body of POST /api/flow_run_notification_policies/filter."""

    flow_run_notification_policy_filter: NotificationPolicyFilter | None = None

    def where(self, dialect: str) -> ColumnElement[bool]:
        policy_filter = self.flow_run_notification_policy_filter
        clause = policy_filter.clause() if policy_filter else None
        return NotificationPolicy.id.is_not(None) if clause is None else clause

    def order_by(self) -> list[ColumnElement[Any]]:
        return [NotificationPolicy.created.asc(), NotificationPolicy.id.asc()]
