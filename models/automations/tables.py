"""Automations: a trigger on events and the actions it sets off, as Prefect 3 keeps them.

The trigger and the actions are stored as the JSON of their wire schemas
(`models/schemas/automations.py`); the evaluator and the action runner read them back
through those schemas.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db.base import Base, Created, Id, Name, Updated


class Automation(Base):
    """One automation: when its trigger fires, its actions run.

    A Prefect 2 notification policy is kept as an automation too (`notification_policy_id`
    set), so that one evaluator decides every notification; such automations are not listed
    by the automations API.
    """

    __tablename__ = "automation"
    __table_args__ = (Index("ix_automation_enabled_updated", "enabled", "updated"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    name: Mapped[Name]
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    #: The trigger's JSON (event, compound or sequence), its `id`s included.
    trigger: Mapped[dict[str, Any]]
    #: Each list holds the actions' JSON, in order.
    actions: Mapped[list[Any]] = mapped_column(default=list)
    actions_on_trigger: Mapped[list[Any]] = mapped_column(default=list)
    actions_on_resolve: Mapped[list[Any]] = mapped_column(default=list)
    notification_policy_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("flow_run_notification_policy.id", ondelete="CASCADE"), unique=True
    )


class AutomationRelatedResource(Base):
    """A resource an automation is about (its actions name it), or that owns it.

    `flow.serve` deletes the automations its deployment owns; `prefect deployment inspect`
    lists those related to it.
    """

    __tablename__ = "automation_related_resource"
    __table_args__ = (UniqueConstraint("automation_id", "resource_id"),)

    id: Mapped[Id]
    created: Mapped[Created]
    updated: Mapped[Updated]
    automation_id: Mapped[UUID] = mapped_column(
        ForeignKey("automation.id", ondelete="CASCADE"), index=True
    )
    resource_id: Mapped[str] = mapped_column(String(255), index=True)
    automation_owned_by_resource: Mapped[bool] = mapped_column(default=False)
