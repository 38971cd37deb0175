"""Wire schemas of work pools and Prefect workers: what the routes take and what they answer."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Final
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from models.coordination.work_pools import AGENT_POOL_TYPE
from models.errors import InvalidRequest
from models.filters.base import DEFAULT_LIMIT, INVALID_LIMIT_DETAIL, MAX_LIMIT
from models.schemas.flow_runs import FlowRunResponse
from models.schemas.nulls import nulls_are_defaults, sent_changes

if TYPE_CHECKING:
    from models.coordination.work_pools import Worker, WorkPool
    from models.coordination.worker_polls import ScheduledRun

#: A `{{ name }}` placeholder of a job template (the reference's pattern).
PLACEHOLDER: Final = re.compile(r"{{\s*([\w\.\-\[\]$]+)\s*}}")
#: Characters a work pool or queue name may not hold (they would break its URL).
NAME_PATTERN: Final = r"^[^/%&><]+$"


def check_base_job_template(template: dict[str, Any]) -> dict[str, Any]:
    """An empty template, or one whose job configuration uses only declared variables."""
    if not template:
        return template
    configuration = template.get("job_configuration")
    variables = template.get("variables")
    if not (configuration and variables):
        raise ValueError(
            "The `base_job_template` must contain both a `job_configuration` key"
            " and a `variables` key."
        )
    if not isinstance(configuration, dict) or not isinstance(variables, dict):
        raise ValueError("`job_configuration` and `variables` must be objects.")
    used = {
        name for value in configuration.values() for name in PLACEHOLDER.findall(json.dumps(value))
    }
    undeclared = used - set(variables.get("properties", {}))
    if undeclared:
        raise ValueError(
            "The variables specified in the job configuration template must be present as"
            " properties in the variables schema. Your job configuration uses the following"
            f" undeclared variable(s): {', '.join(sorted(undeclared))}."
        )
    return template


def check_not_blank(name: str) -> str:
    if not name.strip("' \""):
        raise ValueError("name cannot be an empty string")
    return name


PoolName = Annotated[
    str, Field(min_length=1, max_length=255, pattern=NAME_PATTERN), AfterValidator(check_not_blank)
]
BaseJobTemplate = Annotated[dict[str, Any], AfterValidator(check_base_job_template)]
ConcurrencyLimit = Annotated[int, Field(ge=0, le=2**31 - 1)]


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


#: A time of a poll; one without an offset is read as UTC.
PollTime = Annotated[datetime, AfterValidator(as_utc)]


class StorageConfiguration(BaseModel):
    """Where a work pool's bundles are uploaded and run from, and its default result storage."""

    model_config = ConfigDict(extra="forbid")

    bundle_upload_step: dict[str, Any] | None = None
    bundle_execution_step: dict[str, Any] | None = None
    default_result_storage_block_id: UUID | None = None


class WorkPoolCreate(BaseModel):
    """The body of POST /api/work_pools/; unknown fields are refused, as the reference does."""

    model_config = ConfigDict(extra="forbid")

    name: PoolName
    description: str | None = None
    type: str = Field(default=AGENT_POOL_TYPE, max_length=255)
    base_job_template: BaseJobTemplate = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: ConcurrencyLimit | None = None
    storage_configuration: StorageConfiguration = Field(default_factory=StorageConfiguration)

    def columns(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class WorkPoolUpdate(BaseModel):
    """The body of PATCH /api/work_pools/{name}: only what it sends changes."""

    model_config = ConfigDict(extra="forbid")

    description: str | None = None
    is_paused: bool | None = None
    base_job_template: BaseJobTemplate | None = None
    concurrency_limit: ConcurrencyLimit | None = None
    storage_configuration: StorageConfiguration | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to set. A null pause, template or storage says nothing; a null
        description or limit clears it."""
        return sent_changes(self, {"description", "concurrency_limit"}, mode="json")


class WorkPoolResponse(BaseModel):
    """A work pool as the client reads it."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    description: str | None
    type: str
    base_job_template: dict[str, Any]
    is_paused: bool
    concurrency_limit: int | None
    status: str | None
    default_queue_id: UUID | None
    storage_configuration: StorageConfiguration
    #: Flow runs PENDING or RUNNING in the pool; None when it has no concurrency limit.
    active_slots: int | None

    @classmethod
    def from_row(cls, pool: WorkPool, active_slots: int | None) -> WorkPoolResponse:
        return cls(
            id=pool.id,
            created=pool.created,
            updated=pool.updated,
            name=pool.name,
            description=pool.description,
            type=pool.type,
            base_job_template=pool.base_job_template,
            is_paused=pool.is_paused,
            concurrency_limit=pool.concurrency_limit,
            # Prefect 2's agent pools have no status of their own.
            status=None if pool.type == AGENT_POOL_TYPE else pool.status,
            default_queue_id=pool.default_queue_id,
            storage_configuration=StorageConfiguration.model_validate(
                pool.storage_configuration or {}
            ),
            active_slots=active_slots,
        )


class WorkerHeartbeat(BaseModel):
    """The body of POST /api/work_pools/{name}/workers/heartbeat."""

    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=255)
    heartbeat_interval_seconds: int | None = Field(default=None, ge=0, le=2**31 - 1)


class WorkerResponse(BaseModel):
    """A Prefect worker as the client reads it."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    work_pool_id: UUID
    last_heartbeat_time: datetime | None
    heartbeat_interval_seconds: int | None
    status: str

    @classmethod
    def from_row(cls, worker: Worker, online: bool) -> WorkerResponse:
        return cls(
            id=worker.id,
            created=worker.created,
            updated=worker.updated,
            name=worker.name,
            work_pool_id=worker.work_pool_id,
            last_heartbeat_time=worker.last_heartbeat_time,
            heartbeat_interval_seconds=worker.heartbeat_interval_seconds,
            status="ONLINE" if online else worker.status,
        )


class RunsPollRequest(BaseModel):
    """What a poll for scheduled runs sends: runs due before a time, at most `limit`."""

    model_config = ConfigDict(extra="ignore")

    scheduled_before: PollTime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=0)

    null_is_default = nulls_are_defaults("limit")

    @field_validator("limit", mode="after")
    @classmethod
    def limit_within_maximum(cls, value: int) -> int:
        if value > MAX_LIMIT:
            raise InvalidRequest(INVALID_LIMIT_DETAIL)
        return value


class ScheduledRunsRequest(RunsPollRequest):
    """The body of POST /api/work_pools/{name}/get_scheduled_flow_runs."""

    work_queue_names: list[Annotated[str, Field(max_length=255)]] | None = Field(
        default=None, max_length=1_000
    )
    scheduled_after: PollTime | None = None


class QueueRunsRequest(RunsPollRequest):
    """The body of POST /api/work_queues/{id}/get_runs."""


class WorkerFlowRunResponse(BaseModel):
    """One run handed to a Prefect worker, with the pool and queue it came from."""

    work_pool_id: UUID
    work_queue_id: UUID
    flow_run: FlowRunResponse

    @classmethod
    def from_scheduled(cls, run: ScheduledRun, now: datetime) -> WorkerFlowRunResponse:
        return cls(
            work_pool_id=run.work_pool_id,
            work_queue_id=run.work_queue_id,
            flow_run=FlowRunResponse.from_row(run.flow_run, run.state, now),
        )
