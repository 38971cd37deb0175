"""POST /api/<objects>/paginate: a filter body asking for page N, and the page it answers.

The bodies are the filter bodies of `/filter` with `page` (from 1) in place of `offset`;
the answer carries the page's objects with the total count and the number of pages.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from sqlalchemy import Select

from models.filters.base import MAX_OFFSET, PagedFilterBody
from models.filters.bodies import (
    DeploymentFilterBody,
    FlowFilterBody,
    FlowRunFilterBody,
    TaskRunFilterBody,
)


class PageRequest(PagedFilterBody):
    """The page wanted: `page` counts from 1, each `limit` objects long; `offset` is unused."""

    page_number: int = Field(default=1, ge=1, alias="page")

    @model_validator(mode="after")
    def offset_is_bound(self) -> PageRequest:
        if self.skipped() > MAX_OFFSET:
            raise ValueError(f"page {self.page_number} of {self.limit} lies beyond the last row")
        return self

    def skipped(self) -> int:
        return (self.page_number - 1) * self.limit

    def page(self, statement: Select[Any]) -> Select[Any]:
        return statement.limit(self.limit).offset(self.skipped())

    def answer(self, results: list[Any], count: int) -> dict[str, Any]:
        """The paginate answer: the page's objects (as JSON values), and where it lies."""
        pages = -(-count // self.limit) if self.limit > 0 else 0
        return {
            "results": results,
            "count": count,
            "limit": self.limit,
            "pages": pages,
            "page": self.page_number,
        }


class FlowRunPageBody(PageRequest, FlowRunFilterBody):
    """The body of POST /api/flow_runs/paginate."""


class TaskRunPageBody(PageRequest, TaskRunFilterBody):
    """The body of POST /api/task_runs/paginate."""


class FlowPageBody(PageRequest, FlowFilterBody):
    """The body of POST /api/flows/paginate."""


class DeploymentPageBody(PageRequest, DeploymentFilterBody):
    """The body of POST /api/deployments/paginate."""
