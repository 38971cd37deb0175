"""Wire schemas of flow runs: create, update, and the FlowRun every client reads."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    TypeAdapter,
    field_validator,
    model_validator,
)

from models.db.types import utcnow
from models.schemas.nulls import nulls_are_defaults
from models.schemas.states import StateCreate, StateResponse
from models.states import StateType, is_terminal

if TYPE_CHECKING:
    from models.runs.flow_runs import FlowRun, FlowRunState
    from models.runs.task_runs import TaskRun, TaskRunState


class FlowRunPolicy(BaseModel):
    """A flow run's retry settings; the server-side retry rule reads `retries`."""

    model_config = ConfigDict(extra="ignore")

    max_retries: NonNegativeInt = 0  # deprecated spelling of `retries`
    retry_delay_seconds: NonNegativeFloat = 0.0  # deprecated spelling of `retry_delay`
    retries: NonNegativeInt | None = None
    retry_delay: NonNegativeInt | NonNegativeFloat | None = None
    pause_keys: list[str] = Field(default_factory=list)
    resuming: bool = False
    retry_type: Literal["in_process", "reschedule"] | None = None

    @field_validator("pause_keys", mode="before")
    @classmethod
    def null_is_no_keys(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def read_deprecated_spellings(self) -> FlowRunPolicy:
        # Old clients send only max_retries / retry_delay_seconds; Prefect reads them so.
        if self.retries is None and self.max_retries:
            self.retries = self.max_retries
        if self.retry_delay is None and self.retry_delay_seconds:
            self.retry_delay = self.retry_delay_seconds
        return self


class NewFlowRun(BaseModel):
    """What a client may say about a flow run it creates, directly or from a deployment.

    Unknown keys are ignored and a null means "not given", as the client sends both.
    """

    model_config = ConfigDict(extra="ignore")

    state: StateCreate | None = None
    #: None: the server makes one up ("accomplished-angelfish").
    name: str | None = Field(default=None, max_length=255)
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    parent_task_run_id: UUID | None = None
    infrastructure_document_id: UUID | None = None
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, max_length=255)
    work_queue_name: str | None = Field(default=None, max_length=255)
    job_variables: dict[str, Any] = Field(default_factory=dict)
    created_by: dict[str, Any] | None = None

    null_is_default = nulls_are_defaults(
        "parameters", "context", "empirical_policy", "tags", "labels", "job_variables"
    )


class FlowRunCreate(NewFlowRun):
    """The body of POST /api/flow_runs/."""

    flow_id: UUID
    deployment_id: UUID | None = None
    flow_version: str | None = Field(default=None, max_length=255)
    work_pool_name: str | None = Field(default=None, max_length=255)


class DeploymentFlowRunCreate(NewFlowRun):
    """The body of POST /api/deployments/{id}/create_flow_run; the flow is the deployment's."""

    enforce_parameter_schema: bool | None = None


#: The body of POST /api/deployments/{id}/create_flow_run/bulk: the runs to create.
deployment_flow_run_list: Final = TypeAdapter(list[DeploymentFlowRunCreate])


class FlowRunUpdate(BaseModel):
    """The body of PATCH /api/flow_runs/{id}: only the fields sent are changed.

    The defaults below are never written (`changes()` returns only what was sent). A field
    sent as null where the column cannot be null is refused.
    """

    model_config = ConfigDict(extra="ignore")

    name: str = Field(default="", min_length=1, max_length=255)
    flow_version: str | None = Field(default=None, max_length=255)
    parameters: dict[str, Any] = Field(default_factory=dict)
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    infrastructure_pid: str | None = Field(default=None, max_length=255)
    job_variables: dict[str, Any] = Field(default_factory=dict)

    def changes(self) -> dict[str, Any]:
        """The column values to write: the fields the client sent, and nothing else."""
        return self.model_dump(exclude_unset=True)


#: The body of PATCH /api/flow_runs/{id}/labels: labels to add or replace.
flow_run_labels: Final = TypeAdapter(dict[str, Any])


class FlowRunResponse(BaseModel):
    """A flow run as every client reads it: each field the Prefect FlowRun has."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    flow_id: UUID
    state_id: UUID | None
    deployment_id: UUID | None
    deployment_version: str | None
    work_queue_id: UUID | None
    work_queue_name: str | None
    flow_version: str | None
    parameters: dict[str, Any]
    idempotency_key: str | None
    context: dict[str, Any]
    empirical_policy: FlowRunPolicy
    tags: list[str]
    labels: dict[str, Any]
    parent_task_run_id: UUID | None
    state_type: StateType | None
    state_name: str | None
    run_count: int
    expected_start_time: datetime | None
    next_scheduled_start_time: datetime | None
    start_time: datetime | None
    end_time: datetime | None
    #: Seconds spent RUNNING so far (the column total_run_time_seconds).
    total_run_time: float
    estimated_run_time: float
    estimated_start_time_delta: float
    auto_scheduled: bool
    infrastructure_document_id: UUID | None
    infrastructure_pid: str | None
    created_by: dict[str, Any] | None
    work_pool_id: UUID | None
    work_pool_name: str | None
    state: StateResponse | None
    job_variables: dict[str, Any]

    @classmethod
    def from_row(
        cls, flow_run: FlowRun, state: FlowRunState | None, now: datetime | None = None
    ) -> FlowRunResponse:
        """The response for a flow run and its current state (None while it has none)."""
        return cls.model_validate(run_response_values(cls, flow_run, state, now or utcnow()))


#: Fields of a run's response (flow run or task run) that are not a column of the same name.
COMPUTED_RUN_FIELDS: Final = frozenset(
    {"total_run_time", "estimated_run_time", "estimated_start_time_delta", "state"}
)


def run_response_values(
    response: type[BaseModel],
    run: FlowRun | TaskRun,
    state: FlowRunState | TaskRunState | None,
    now: datetime,
) -> dict[str, Any]:
    """The values of a flow-run or task-run response: its columns, and what they give `now`."""
    fields = response.model_fields
    copied = {name: getattr(run, name) for name in fields if name not in COMPUTED_RUN_FIELDS}
    return copied | {
        "empirical_policy": run.empirical_policy or {},
        "total_run_time": run.total_run_time_seconds,
        "estimated_run_time": estimated_run_time(
            run.state_type, run.state_timestamp, run.total_run_time_seconds, now
        ),
        "estimated_start_time_delta": estimated_start_time_delta(
            run.state_type, run.expected_start_time, run.start_time, now
        ),
        "state": StateResponse.from_row(state) if state is not None else None,
    }


def estimated_run_time(
    state_type: StateType | None,
    state_timestamp: datetime | None,
    total_run_time_seconds: float,
    now: datetime,
) -> float:
    """Seconds run so far: the recorded total, plus the current stretch while RUNNING."""
    if state_type == StateType.RUNNING and state_timestamp is not None:
        return total_run_time_seconds + max(0.0, (now - state_timestamp).total_seconds())
    return total_run_time_seconds


def estimated_start_time_delta(
    state_type: StateType | None,
    expected_start_time: datetime | None,
    start_time: datetime | None,
    now: datetime,
) -> float:
    """Seconds a run started late, or has been late so far when it has not started yet."""
    if expected_start_time is None:
        return 0.0
    if start_time is not None:
        return max(0.0, (start_time - expected_start_time).total_seconds())
    if expected_start_time < now and not is_terminal(state_type):
        return (now - expected_start_time).total_seconds()
    return 0.0
