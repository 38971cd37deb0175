"""Wire schemas of task runs: the REST placeholder of a subflow, and the TaskRun clients read.

Ordinary task runs never come through REST: they are built from events (see
`models.schemas.events`). POST /api/task_runs/ serves subflow placeholders, `run_deployment`
inside a flow and background tasks.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
)

from models.db.types import utcnow
from models.schemas.flow_runs import run_response_values
from models.schemas.nulls import nulls_are_defaults
from models.schemas.states import StateCreate, StateResponse
from models.states import StateType

if TYPE_CHECKING:
    from models.runs.task_runs import TaskRun, TaskRunState


class TaskRunPolicy(BaseModel):
    """A task run's retry settings, as the client reports them; the client applies them."""

    model_config = ConfigDict(extra="ignore")

    max_retries: NonNegativeInt = 0
    retry_delay_seconds: NonNegativeFloat = 0.0
    retries: NonNegativeInt | None = None
    #: Seconds, or one delay per retry.
    retry_delay: (
        NonNegativeInt | NonNegativeFloat | list[NonNegativeInt | NonNegativeFloat] | None
    ) = None
    retry_jitter_factor: NonNegativeFloat | None = None


class TaskRunCreate(BaseModel):
    """The body of POST /api/task_runs/. Unknown keys are ignored; null means "not given"."""

    model_config = ConfigDict(extra="ignore")

    #: Background tasks choose their own id; a subflow placeholder lets the server choose.
    id: UUID | None = None
    state: StateCreate | None = None
    name: str | None = Field(default=None, max_length=255)
    flow_run_id: UUID | None = None
    task_key: str = Field(max_length=255)
    dynamic_key: str = Field(max_length=255)
    cache_key: str | None = Field(default=None, max_length=255)
    cache_expiration: AwareDatetime | None = None
    task_version: str | None = Field(default=None, max_length=255)
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    #: Each parameter's upstream inputs: `{"x": [{"input_type": "task_run", "id": ...}]}`.
    task_inputs: dict[str, Any] = Field(default_factory=dict)

    null_is_default = nulls_are_defaults("empirical_policy", "tags", "labels", "task_inputs")


class TaskRunResponse(BaseModel):
    """A task run as clients read it: each field the Prefect TaskRun has."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    flow_run_id: UUID | None
    task_key: str
    dynamic_key: str
    cache_key: str | None
    cache_expiration: datetime | None
    task_version: str | None
    empirical_policy: TaskRunPolicy
    tags: list[str]
    labels: dict[str, Any]
    state_id: UUID | None
    task_inputs: dict[str, Any]
    state_type: StateType | None
    state_name: str | None
    run_count: int
    flow_run_run_count: int
    expected_start_time: datetime | None
    next_scheduled_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    #: Seconds spent RUNNING so far (the column total_run_time_seconds).
    total_run_time: float
    estimated_run_time: float
    estimated_start_time_delta: float
    state: StateResponse | None

    @classmethod
    def from_row(
        cls, task_run: TaskRun, state: TaskRunState | None, now: datetime | None = None
    ) -> TaskRunResponse:
        """The response for a task run and its current state (None while it has none)."""
        return cls.model_validate(run_response_values(cls, task_run, state, now or utcnow()))
