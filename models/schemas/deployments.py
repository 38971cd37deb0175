"""Wire schemas of deployments: create (an upsert), update, the runner's poll, and the answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Literal, Self
from uuid import UUID

from jsonschema import Draft202012Validator, SchemaError
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from models.filters.base import DEFAULT_LIMIT, MAX_LIMIT
from models.filters.bodies import DeploymentFilterBody
from models.filters.deployments import DeploymentFilter
from models.schemas.concurrency_limits import ConcurrencyLimitResponse
from models.schemas.nulls import nulls_are_defaults
from models.schemas.schedules import (
    DeploymentScheduleCreate,
    DeploymentScheduleResponse,
    DeploymentScheduleUpdate,
)

if TYPE_CHECKING:
    from models.coordination.deployment_reads import DeploymentView

#: The most deployments one bulk delete removes, as the reference.
BULK_DELETE_LIMIT: Final = 200


class CollisionStrategy(StrEnum):
    """What happens to a run started while its deployment's limit is full."""

    ENQUEUE = "ENQUEUE"
    CANCEL_NEW = "CANCEL_NEW"


class ConcurrencyOptions(BaseModel):
    """How a deployment's concurrency limit treats the run that finds it full."""

    model_config = ConfigDict(extra="ignore")

    collision_strategy: CollisionStrategy
    grace_period_seconds: int | None = Field(default=None, ge=60, le=86400)


class DeploymentFields(BaseModel):
    """What a client may say about a deployment when it creates or changes one."""

    model_config = ConfigDict(extra="ignore")

    version: str | None = Field(default=None, max_length=255)
    version_info: dict[str, Any] | None = None
    description: str | None = None
    paused: bool = False
    concurrency_limit: PositiveInt | None = None
    concurrency_options: ConcurrencyOptions | None = None
    global_concurrency_limit_id: UUID | None = None
    parameter_openapi_schema: dict[str, Any] | None = None
    tags: list[str] = Field(default_factory=list)
    work_queue_name: str | None = Field(default=None, max_length=255)
    work_pool_name: str | None = Field(default=None, max_length=255)
    path: str | None = None
    pull_steps: list[dict[str, Any]] | None = None
    entrypoint: str | None = None
    storage_document_id: UUID | None = None
    infrastructure_document_id: UUID | None = None

    null_is_default = nulls_are_defaults("paused", "tags")

    @field_validator("concurrency_limit", mode="before")
    @classmethod
    def limit_is_positive(cls, value: Any) -> Any:
        if isinstance(value, int | float) and value <= 0:
            raise ValueError("concurrency_limit must be greater than 0")
        return value

    @model_validator(mode="after")
    def one_kind_of_limit(self) -> Self:
        if self.concurrency_limit and self.global_concurrency_limit_id:
            raise ValueError(
                "A deployment cannot have both a concurrency limit and a global concurrency limit."
            )
        return self

    @model_validator(mode="after")
    def schema_is_a_json_schema(self) -> Self:
        enforced = getattr(self, "enforce_parameter_schema", None)
        if enforced and self.parameter_openapi_schema is not None:
            try:
                Draft202012Validator.check_schema(self.parameter_openapi_schema)
            except SchemaError as exc:
                raise ValueError(
                    f"The provided schema is not a valid json schema. Schema error: {exc.message}"
                ) from None
        return self


class DeploymentCreate(DeploymentFields):
    """The body of POST /api/deployments/: creates, or updates the flow's deployment of
    that name."""

    name: str = Field(min_length=1, max_length=255)
    flow_id: UUID
    schedules: list[DeploymentScheduleCreate] = Field(default_factory=list)
    enforce_parameter_schema: bool = True
    #: Without one, any object of parameters (the reference's default).
    parameter_openapi_schema: dict[str, Any] | None = Field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] = Field(default_factory=dict)
    job_variables: dict[str, Any] = Field(default_factory=dict)

    create_nulls_are_defaults = nulls_are_defaults(
        "schedules", "enforce_parameter_schema", "parameters", "labels", "job_variables"
    )


class DeploymentUpdate(DeploymentFields):
    """The body of PATCH /api/deployments/{id}: only the fields sent change."""

    schedules: list[DeploymentScheduleUpdate] | None = None
    enforce_parameter_schema: bool | None = None
    parameters: dict[str, Any] | None = None
    job_variables: dict[str, Any] | None = None


class ScheduledRunsRequest(BaseModel):
    """The body of POST /api/deployments/get_scheduled_flow_runs (a runner's poll)."""

    model_config = ConfigDict(extra="ignore")

    deployment_ids: list[UUID]
    scheduled_before: datetime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)

    null_is_default = nulls_are_defaults("limit")


class DeploymentResponse(BaseModel):
    """A deployment as the client reads it, with its schedules, limit and work pool."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    version: str | None
    description: str | None
    flow_id: UUID
    paused: bool
    schedules: list[DeploymentScheduleResponse]
    #: Always None, as Prefect's server answers it since 3.0: the limit is read from
    #: `global_concurrency_limit`.
    concurrency_limit: int | None = None
    global_concurrency_limit: ConcurrencyLimitResponse | None
    concurrency_options: dict[str, Any] | None
    job_variables: dict[str, Any]
    parameters: dict[str, Any]
    tags: list[str]
    labels: dict[str, Any]
    work_queue_name: str | None
    work_queue_id: UUID | None
    last_polled: datetime | None
    parameter_openapi_schema: dict[str, Any] | None
    path: str | None
    pull_steps: list[dict[str, Any]] | None
    entrypoint: str | None
    storage_document_id: UUID | None
    infrastructure_document_id: UUID | None
    created_by: dict[str, Any] | None = None
    updated_by: dict[str, Any] | None = None
    work_pool_name: str | None
    status: str | None
    enforce_parameter_schema: bool

    @classmethod
    def from_view(cls, view: DeploymentView) -> DeploymentResponse:
        """The response for a deployment read with what surrounds it."""
        row = view.deployment
        limit = view.concurrency_limit
        columns = {
            name: getattr(row, name)
            for name in cls.model_fields
            if name not in {"schedules", "concurrency_limit", "global_concurrency_limit"}
            and hasattr(row, name)
        }
        return cls(
            **columns,
            schedules=[DeploymentScheduleResponse.model_validate(s) for s in view.schedules],
            global_concurrency_limit=(
                ConcurrencyLimitResponse.from_row(limit, view.occupancy)
                if limit is not None and view.occupancy is not None
                else None
            ),
            work_pool_name=view.work_pool_name,
        )


class DeploymentPage(BaseModel):
    """The answer of POST /api/deployments/paginate."""

    results: list[DeploymentResponse]
    count: int
    limit: int
    pages: int
    page: int


class DeploymentBulkDelete(BaseModel):
    """The body of POST /api/deployments/bulk_delete: the first `limit` deployments matching
    `deployments` (by name, as the reference reads them) are deleted."""

    model_config = ConfigDict(extra="forbid")

    deployments: DeploymentFilter | None = None
    limit: int = Field(default=BULK_DELETE_LIMIT, ge=1, le=BULK_DELETE_LIMIT)

    def matching(self) -> DeploymentFilterBody:
        return DeploymentFilterBody.model_construct(deployments=self.deployments, limit=self.limit)


class DeploymentBulkDeleteResponse(BaseModel):
    """The answer of POST /api/deployments/bulk_delete: the ids deleted."""

    deleted: list[UUID]


#: The most runs one POST /api/deployments/{id}/create_flow_run/bulk makes, as the reference.
BULK_CREATE_LIMIT: Final = 100


class FlowRunCreateResult(BaseModel):
    """One run of a bulk create: its id when CREATED, the reason when FAILED."""

    flow_run_id: UUID | None = None
    status: Literal["CREATED", "FAILED"]
    error: str | None = None


class FlowRunBulkCreateResponse(BaseModel):
    """The answer of POST /api/deployments/{id}/create_flow_run/bulk, one result per run."""

    results: list[FlowRunCreateResult]
