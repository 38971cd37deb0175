"""Wire schemas of work queues: what the routes take and what a queue reads as."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from models.coordination.work_queues import MAXIMUM_LATE_RUNS, MAXIMUM_SECONDS_SINCE_LAST_POLLED
from models.schemas.nulls import sent_changes
from models.schemas.work_pools import ConcurrencyLimit, PollTime, PoolName

if TYPE_CHECKING:
    from models.coordination.work_queues import ListedQueue, QueueHealth

#: The highest priority number a queue can have (a 32-bit integer column).
MAX_PRIORITY: Final = 2**31 - 1
Priority = Annotated[int, Field(ge=1, le=MAX_PRIORITY)]


class WorkQueueCreate(BaseModel):
    """The body of POST /api/work_pools/{name}/queues; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    name: PoolName
    description: str | None = ""
    is_paused: bool = False
    concurrency_limit: ConcurrencyLimit | None = None
    #: None: the first priority no queue of the pool has.
    priority: Priority | None = None
    #: Prefect 2's tag filter, accepted and not kept (deprecated by the reference).
    filter: dict[str, Any] | None = None

    def columns(self) -> dict[str, Any]:
        return self.model_dump(exclude={"filter"})


class WorkQueueUpdate(BaseModel):
    """The body of PATCH on a queue: only what it sends changes."""

    model_config = ConfigDict(extra="forbid")

    name: PoolName | None = None
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: ConcurrencyLimit | None = None
    priority: Priority | None = None
    last_polled: PollTime | None = None
    filter: dict[str, Any] | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to set. A null name, priority or time says nothing; a null
        description or limit clears it."""
        return sent_changes(self, {"description", "concurrency_limit"}, exclude={"filter"})


class WorkQueueResponse(BaseModel):
    """A work queue as the client reads it."""

    id: UUID
    created: datetime
    updated: datetime
    name: str
    description: str | None
    is_paused: bool
    concurrency_limit: int | None
    priority: int
    work_pool_id: UUID
    filter: None = None
    last_polled: datetime | None
    work_pool_name: str
    status: str
    #: Flow runs PENDING or RUNNING in the queue; None when it has no concurrency limit.
    active_slots: int | None

    @classmethod
    def from_listed(cls, listed: ListedQueue) -> WorkQueueResponse:
        queue = listed.queue
        return cls(
            id=queue.id,
            created=queue.created,
            updated=queue.updated,
            name=queue.name,
            description=queue.description,
            is_paused=queue.is_paused,
            concurrency_limit=queue.concurrency_limit,
            priority=queue.priority,
            work_pool_id=queue.work_pool_id,
            last_polled=queue.last_polled,
            work_pool_name=listed.work_pool_name,
            status=queue.status,
            active_slots=listed.active_slots,
        )


class WorkQueueHealthPolicy(BaseModel):
    """When a queue counts as healthy (the same policy for every queue, as the reference)."""

    maximum_late_runs: int | None = MAXIMUM_LATE_RUNS
    maximum_seconds_since_last_polled: int | None = MAXIMUM_SECONDS_SINCE_LAST_POLLED


class WorkQueueStatusDetail(BaseModel):
    """The answer of GET /api/work_queues/{id}/status."""

    healthy: bool
    late_runs_count: int
    last_polled: datetime | None
    health_check_policy: WorkQueueHealthPolicy

    @classmethod
    def from_health(cls, health: QueueHealth) -> WorkQueueStatusDetail:
        return cls(
            healthy=health.healthy,
            late_runs_count=health.late_runs_count,
            last_polled=health.last_polled,
            health_check_policy=WorkQueueHealthPolicy(),
        )
