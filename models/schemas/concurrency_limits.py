"""Wire schemas of concurrency limits: the v2 global limits, their slots and leases, and the
v1 tag limits (which are global limits named `tag:<tag>`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.concurrency.leases import MAX_LEASE_SECONDS, MIN_LEASE_SECONDS
from models.filters.base import PagedFilterBody

if TYPE_CHECKING:
    from models.concurrency.decay import Occupancy
    from models.concurrency.slots import NamedLimit
    from models.concurrency.tables import ConcurrencyLimit

#: The largest limit or slot count: the counters are 32-bit integer columns.
MAX_SLOTS: Final = 2**31 - 1
#: Limits one acquisition may name (a task run names one per tag).
MAX_NAMES: Final = 1_000

#: A limit's name: Prefect's names refuse / % & > < (they break paths and patterns); NUL
#: cannot be stored by PostgreSQL.
LimitName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^/%&><\x00]+$")]
#: A tag with a v1 limit; its limit is named `tag:<tag>`, within the same 255 characters.
Tag = Annotated[str, Field(min_length=1, max_length=251, pattern=r"^[^/%&><\x00]+$")]
#: A name in an acquisition: unknown names are allowed (they limit nothing).
RequestedName = Annotated[str, Field(max_length=255)]
Slots = Annotated[int, Field(ge=1, le=MAX_SLOTS)]
LeaseSeconds = Annotated[float, Field(ge=MIN_LEASE_SECONDS, le=MAX_LEASE_SECONDS)]


class Body(BaseModel):
    """A request body: unknown keys are ignored, as the reference does."""

    model_config = ConfigDict(extra="ignore")


class ConcurrencyLimitCreate(Body):
    """The body of POST /api/v2/concurrency_limits/."""

    name: LimitName
    #: At least 1: a limit of 0 would refuse every acquisition forever.
    limit: int = Field(ge=1, le=MAX_SLOTS)
    active: bool = True
    active_slots: int = Field(default=0, ge=0, le=MAX_SLOTS)
    denied_slots: int = Field(default=0, ge=0, le=MAX_SLOTS)
    slot_decay_per_second: float = Field(default=0.0, ge=0.0, allow_inf_nan=False)


class ConcurrencyLimitUpdate(Body):
    """The body of PATCH /api/v2/concurrency_limits/{id_or_name}: only what it sends changes."""

    name: LimitName | None = None
    limit: int | None = Field(default=None, ge=1, le=MAX_SLOTS)
    active: bool | None = None
    active_slots: int | None = Field(default=None, ge=0, le=MAX_SLOTS)
    denied_slots: int | None = Field(default=None, ge=0, le=MAX_SLOTS)
    slot_decay_per_second: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)

    def changes(self) -> dict[str, Any]:
        """The fields sent with a value; a null leaves the stored value as it is."""
        return {
            key: value
            for key, value in self.model_dump(exclude_unset=True).items()
            if value is not None
        }


class ConcurrencyLimitResponse(BaseModel):
    """A global limit as clients read it, its counters decayed up to the moment of reading."""

    id: UUID
    created: datetime
    updated: datetime
    active: bool
    name: str
    limit: int
    active_slots: int
    denied_slots: int
    slot_decay_per_second: float
    avg_slot_occupancy_seconds: float

    @classmethod
    def from_row(cls, row: ConcurrencyLimit, occupancy: Occupancy) -> ConcurrencyLimitResponse:
        return cls(
            id=row.id,
            created=row.created,
            updated=row.updated,
            active=row.active,
            name=row.name,
            limit=row.limit,
            active_slots=occupancy.active_slots,
            denied_slots=occupancy.denied_slots,
            slot_decay_per_second=row.slot_decay_per_second,
            avg_slot_occupancy_seconds=row.avg_slot_occupancy_seconds,
        )


class ConcurrencyLimitFilterBody(PagedFilterBody):
    """The body of POST /api/v2/concurrency_limits/filter and /api/concurrency_limits/filter."""


class SlotsRequest(Body):
    """The body of POST /api/v2/concurrency_limits/increment."""

    names: list[RequestedName] = Field(min_length=1, max_length=MAX_NAMES)
    slots: Slots
    mode: Literal["concurrency", "rate_limit"] = "concurrency"
    #: Deprecated in Prefect; when true, unknown names become inactive limits of 1.
    create_if_missing: bool | None = None


class LeaseHolder(BaseModel):
    """Who holds a lease, as the client says."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["flow_run", "task_run", "deployment"]
    id: UUID


class LeasedSlotsRequest(SlotsRequest):
    """The body of POST /api/v2/concurrency_limits/increment-with-lease."""

    lease_duration: LeaseSeconds = 300.0
    holder: LeaseHolder | None = None


class SlotsRelease(Body):
    """The body of POST /api/v2/concurrency_limits/decrement."""

    names: list[RequestedName] = Field(min_length=1, max_length=MAX_NAMES)
    slots: Slots
    occupancy_seconds: float | None = Field(default=None, gt=0.0, allow_inf_nan=False)
    create_if_missing: bool | None = None  # deprecated and ignored, as in Prefect


class LeaseRelease(Body):
    """The body of POST /api/v2/concurrency_limits/decrement-with-lease."""

    lease_id: UUID


class LeaseRenewal(Body):
    """The body of POST /api/v2/concurrency_limits/leases/{lease_id}/renew."""

    lease_duration: LeaseSeconds = 300.0


class MinimalLimitResponse(BaseModel):
    """A limit as an acquisition lists it."""

    id: UUID
    name: str
    limit: int

    @classmethod
    def from_limit(cls, limit: NamedLimit, name: str | None = None) -> MinimalLimitResponse:
        return cls(id=limit.id, name=name or limit.name, limit=limit.limit)


class LeaseResponse(BaseModel):
    """The answer to increment-with-lease: the lease to renew and release, and the limits."""

    lease_id: UUID
    limits: list[MinimalLimitResponse]


class TagLimitCreate(Body):
    """The body of POST /api/concurrency_limits/ (an upsert by tag)."""

    tag: Tag
    concurrency_limit: int = Field(ge=1, le=MAX_SLOTS)


class TagLimitResponse(BaseModel):
    """A v1 tag limit: `active_slots` lists the task runs holding its slots."""

    id: UUID
    created: datetime
    updated: datetime
    tag: str
    concurrency_limit: int
    active_slots: list[UUID]


class TagSlotsRequest(Body):
    """The body of POST /api/concurrency_limits/increment: one slot per tag for a task run."""

    names: list[RequestedName] = Field(max_length=MAX_NAMES)
    task_run_id: UUID


class TagSlotsRelease(TagSlotsRequest):
    """The body of POST /api/concurrency_limits/decrement."""

    occupancy_seconds: float | None = Field(default=None, ge=0.0, allow_inf_nan=False)


class TagLimitReset(Body):
    """The body of POST /api/concurrency_limits/tag/{tag}/reset."""

    slot_override: list[UUID] | None = Field(default=None, max_length=MAX_NAMES)

    @field_validator("slot_override", mode="after")
    @classmethod
    def one_slot_per_task_run(cls, value: list[UUID] | None) -> list[UUID] | None:
        return None if value is None else list(dict.fromkeys(value))
