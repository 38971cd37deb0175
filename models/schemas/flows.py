"""Wire schemas of flows: what POST /api/flows/ takes and what a flow reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.schemas.nulls import nulls_are_defaults


class FlowCreate(BaseModel):
    """The body of POST /api/flows/, an upsert by name."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)

    null_is_default = nulls_are_defaults("tags", "labels")


class FlowResponse(BaseModel):
    """A flow as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    tags: list[str]
    labels: dict[str, Any]
