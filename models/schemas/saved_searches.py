"""Wire schemas of saved searches: what PUT takes, what /filter takes, what one reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.filters.base import PagedFilterBody
from models.schemas.nulls import nulls_are_defaults


class SavedSearchFilter(BaseModel):
    """One filter of a saved search; the UI alone reads it."""

    object: str
    property: str
    type: str
    operation: str
    value: Any


class SavedSearchCreate(BaseModel):
    """The body of PUT /api/saved_searches/: a new search, or new filters for its name."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255)
    filters: list[SavedSearchFilter] = Field(default_factory=list)

    null_is_default = nulls_are_defaults("filters")


class SavedSearchFilterBody(PagedFilterBody):
    """The body of POST /api/saved_searches/filter: `limit` and `offset` only."""


class SavedSearchResponse(BaseModel):
    """A saved search as the UI reads it."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created: datetime
    updated: datetime
    name: str
    filters: list[SavedSearchFilter]
