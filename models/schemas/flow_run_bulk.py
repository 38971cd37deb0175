"""POST /api/flow_runs/bulk_delete and /bulk_set_state: what they take and answer.

Each acts on at most BULK_LIMIT flow runs matching `flow_runs` (newest id first, as the
reference reads them); a larger `limit` is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement

from models.filters.base import FilterBody
from models.filters.bodies import FlowRunFilterBody
from models.filters.flow_runs import FlowRunFilter
from models.schemas.states import OrchestrationDetails, SetStateStatus, StateCreate, StateResponse

if TYPE_CHECKING:
    from models.runs.flow_run_transitions import Outcome

#: The most flow runs one bulk call acts on, as the reference.
BULK_LIMIT: Final = 50


class FlowRunBulkDelete(FilterBody):
    """The body of POST /api/flow_runs/bulk_delete."""

    flow_runs: FlowRunFilter | None = None
    limit: int = Field(default=BULK_LIMIT, ge=1, le=BULK_LIMIT)

    def matching(self) -> FlowRunFilterBody:
        """The listing of the runs acted on: the first `limit` matching, newest id first."""
        return FlowRunFilterBody.model_construct(flow_runs=self.flow_runs, limit=self.limit)

    def where(self, dialect: str) -> ColumnElement[bool]:
        return self.matching().where(dialect)


class FlowRunBulkSetState(FlowRunBulkDelete):
    """The body of POST /api/flow_runs/bulk_set_state: one state proposed to each run."""

    state: StateCreate
    #: True skips the orchestration rules, as for one run's set_state.
    force: bool = False

    def results(self, outcomes: Sequence[tuple[UUID, Outcome]]) -> FlowRunBulkSetStateResponse:
        """The answer: each run's decision, as set_state would have answered it."""
        return FlowRunBulkSetStateResponse(
            results=[
                FlowRunOrchestrationResult.model_validate(
                    {
                        "flow_run_id": flow_run_id,
                        "state": None if outcome.state is None else outcome.state.columns(),
                        "status": outcome.decision.status.value,
                        "details": outcome.decision.details,
                    }
                )
                for flow_run_id, outcome in outcomes
            ]
        )


class FlowRunBulkDeleteResponse(BaseModel):
    deleted: list[UUID]


class FlowRunOrchestrationResult(BaseModel):
    """The decision on one run of a bulk_set_state."""

    flow_run_id: UUID
    status: SetStateStatus
    state: StateResponse | None
    details: OrchestrationDetails


class FlowRunBulkSetStateResponse(BaseModel):
    results: list[FlowRunOrchestrationResult]
