"""Wire schemas of flows: what POST /api/flows/ takes and what a flow reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator


class FlowCreate(BaseModel):
    """The body of POST /api/flows/, an upsert by name."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)

    @field_validator("tags", "labels", mode="before")
    @classmethod
    def null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name is not None:
            return cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return value


class FlowResponse(BaseModel):
    """A flow as the client reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    tags: list[str]
    labels: dict[str, Any]
