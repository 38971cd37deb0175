"""Wire schemas of states: a proposed state, a stored state, and an orchestration result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from models.orchestration.transitions import State
from models.states import StateType

if TYPE_CHECKING:
    from models.runs.flow_runs import FlowRunState
    from models.runs.task_runs import TaskRunState

#: Every `state_details` key the Prefect client knows, with the value it means when absent.
#: Responses carry all of them, as the reference server's do; stored details keep only
#: what was sent.
STATE_DETAILS_DEFAULTS: Final[dict[str, Any]] = {
    "flow_run_id": None,
    "task_run_id": None,
    "child_flow_run_id": None,
    "scheduled_time": None,
    "cache_key": None,
    "cache_expiration": None,
    "deferred": False,
    "untrackable_result": False,
    "pause_timeout": None,
    "pause_reschedule": False,
    "pause_key": None,
    "run_input_keyset": None,
    "refresh_cache": None,
    "retriable": None,
    "transition_id": None,
    "task_parameters_id": None,
    "traceparent": None,
    "deployment_concurrency_lease_id": None,
}


def default_state_name(state_type: StateType) -> str:
    """The name Prefect gives a state that comes without one: PENDING is "Pending"."""
    return state_type.value.capitalize()


class ClientState(BaseModel):
    """A state as a client describes it, proposed to the server or reported in an event."""

    model_config = ConfigDict(extra="ignore")

    type: StateType
    name: str | None = Field(default=None, max_length=255)
    message: str | None = None
    #: JSON values as the client sent them: times stay ISO strings.
    state_details: dict[str, Any] = Field(default_factory=dict)
    #: The client's result record, kept opaque.
    data: Any = None

    @field_validator("state_details", mode="before")
    @classmethod
    def null_details_are_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class StateCreate(ClientState):
    """A state as a client proposes it (set_state, a new run's first state)."""

    timestamp: AwareDatetime | None = None

    @model_validator(mode="after")
    def name_from_type(self) -> StateCreate:
        if self.name is None:
            self.name = default_state_name(self.type)
        return self

    def proposal(self, now: datetime, *, keep_timestamp: bool = False) -> State:
        """The state to orchestrate, with a fresh id, timestamped `now`.

        `keep_timestamp` keeps the client's timestamp, if it sent one: only for the first
        state of a run it creates; later states are ordered by the server's clock.
        """
        return State(
            type=self.type,
            name=self.name or default_state_name(self.type),
            timestamp=(self.timestamp if keep_timestamp and self.timestamp else now),
            message=self.message,
            state_details=dict(self.state_details),
            data=self.data,
        )


class StateResponse(BaseModel):
    """A stored state as the client reads it; `state_details` lists every known key."""

    model_config = ConfigDict(from_attributes=True)

    id: UUID
    type: StateType
    name: str
    timestamp: datetime
    message: str | None = None
    data: Any = None
    state_details: dict[str, Any] = Field(default_factory=lambda: dict(STATE_DETAILS_DEFAULTS))

    @field_validator("state_details", mode="before")
    @classmethod
    def with_every_detail(cls, value: Any) -> Any:
        if value is None:
            return dict(STATE_DETAILS_DEFAULTS)
        if isinstance(value, dict):
            return STATE_DETAILS_DEFAULTS | value
        return value

    @classmethod
    def from_row(cls, row: FlowRunState | TaskRunState) -> StateResponse:
        """The state of a history row, with the run it belongs to named in its details."""
        state = State.from_row(row)  # its details are a copy, ours to complete
        for key in ("flow_run_id", "task_run_id"):
            run_id = getattr(row, key, None)
            if state.state_details.get(key) is None and run_id is not None:
                state.state_details[key] = str(run_id)
        return cls(**state.columns())


class SetStateRequest(BaseModel):
    """The body of POST /api/flow_runs/{id}/set_state (and of task runs)."""

    model_config = ConfigDict(extra="ignore")

    state: StateCreate
    #: The worker's forced CANCELLED after a kill skips the orchestration rules.
    force: bool = False

    @field_validator("force", mode="before")
    @classmethod
    def null_is_not_forced(cls, value: Any) -> Any:
        return False if value is None else value


class SetStateStatus(StrEnum):
    """What orchestration decided about a proposed state."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WAIT = "WAIT"
    ABORT = "ABORT"


class AcceptDetails(BaseModel):
    type: Literal["accept_details"] = "accept_details"


class RejectDetails(BaseModel):
    type: Literal["reject_details"] = "reject_details"
    reason: str | None = None


class WaitDetails(BaseModel):
    type: Literal["wait_details"] = "wait_details"
    #: The client sleeps this long and then proposes the same state again.
    delay_seconds: float
    reason: str | None = None


class AbortDetails(BaseModel):
    type: Literal["abort_details"] = "abort_details"
    reason: str | None = None


OrchestrationDetails = Annotated[
    AcceptDetails | RejectDetails | WaitDetails | AbortDetails, Field(discriminator="type")
]


class OrchestrationResultResponse(BaseModel):
    """The answer to set_state; the reference sends it with 201 for every status."""

    state: StateResponse | None
    status: SetStateStatus
    details: OrchestrationDetails
