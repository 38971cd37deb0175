"""The values orchestration works on: states, run snapshots, transitions and decisions.

Everything here is an in-memory value. The API loads a run, builds a `Transition`, asks an
orchestration policy for a `Decision` and writes what the decision says in one transaction;
nothing in this package touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID, uuid4

from models.states import StateType

if TYPE_CHECKING:
    from models.runs.flow_runs import FlowRunState
    from models.runs.task_runs import TaskRunState


def iso_utc(moment: datetime) -> str:
    """`moment` as Prefect writes times into `state_details`: ISO 8601, UTC, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc(value: datetime | str | None) -> datetime | None:
    """A `state_details` time (a datetime or its ISO string) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    # Prefect's schemas read a time without an offset as UTC; so do we.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, kw_only=True)
class State:
    """A state as a client proposes it or as the history stores it.

    The field names are those of the `flow_run_state` / `task_run_state` columns, so
    `FlowRunState(flow_run_id=..., **state.columns())` writes the history row.
    `state_details` holds JSON values as the client sent them (times are ISO strings).
    A proposed state gets a fresh id; a stored one keeps the id of its history row.
    """

    type: StateType
    name: str
    timestamp: datetime
    message: str | None = None
    state_details: dict[str, Any] = field(default_factory=dict)
    data: Any = None
    id: UUID = field(default_factory=uuid4)

    @classmethod
    def from_row(cls, row: FlowRunState | TaskRunState) -> State:
        """The stored state of a history row."""
        return cls(
            id=row.id,
            type=row.type,
            name=row.name,
            timestamp=row.timestamp,
            message=row.message,
            state_details=dict(row.state_details or {}),
            data=row.data,
        )

    def columns(self) -> dict[str, Any]:
        """The history row's values (a shallow `dataclasses.asdict`, which deep-copies)."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "timestamp": self.timestamp,
            "message": self.message,
            "state_details": self.state_details,
            "data": self.data,
        }

    @property
    def scheduled_time(self) -> datetime | None:
        """When a SCHEDULED (or PENDING) state may start running, if it says."""
        return parse_utc(self.state_details.get("scheduled_time"))


@dataclass(frozen=True, kw_only=True)
class DeploymentSlot:
    """A flow run's slot on its deployment's concurrency limit, as tried for one transition.

    The slot is taken (or renewed) before the rules run, as Prefect's server does, and given
    back afterwards if the run does not enter the state that holds it.
    """

    #: The size of the deployment's limit (0 means no run could ever start).
    limit: int
    #: The lease holding the slot; None when no slot was free (or the limit is 0).
    lease_id: UUID | None
    #: What to do with a run that finds no free slot: "ENQUEUE" or "CANCEL_NEW".
    collision_strategy: str = "ENQUEUE"
    #: How long a run that found no free slot waits before it is offered again.
    wait_seconds: float = 30.0


@dataclass(frozen=True, kw_only=True)
class RunSnapshot:
    """What orchestration rules may read of a flow run or task run, loaded by the caller."""

    id: UUID
    kind: Literal["flow_run", "task_run"]
    state: State | None
    run_count: int = 0
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_run_time_seconds: float = 0.0
    #: The run's `empirical_policy` column: retries, retry_delay, ... as the client sent them.
    empirical_policy: dict[str, Any] = field(default_factory=dict)
    #: The process a Prefect worker or runner started the flow run in, if any (flow runs).
    infrastructure_pid: str | None = None
    #: The deployment a flow run was made from: only such a run can be suspended and resumed.
    deployment_id: UUID | None = None
    #: The task run a subflow's run stands for in its parent (None for a top-level run).
    parent_task_run_id: UUID | None = None
    #: The slot this transition took or renewed on the deployment's concurrency limit, if it
    #: asked for one (a flow run of a deployment with a limit, going PENDING or RUNNING).
    deployment_slot: DeploymentSlot | None = None


@dataclass(frozen=True, kw_only=True)
class Transition:
    """A state proposed for a run, with the run as it is now and the server's clock."""

    run: RunSnapshot
    proposed: State
    #: Set by the client (e.g. a Prefect worker's final CANCELLED); skips every rule.
    force: bool = False
    now: datetime

    @property
    def initial_type(self) -> StateType | None:
        """The type of the run's current state; None when the run has no state yet."""
        return self.run.state.type if self.run.state is not None else None


class DecisionStatus(StrEnum):
    """An orchestration policy's answer to a transition, as Prefect names it."""

    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WAIT = "WAIT"
    ABORT = "ABORT"


@dataclass(frozen=True)
class Decision:
    """What to answer a proposed state: a status, the state to return, and the details.

    `state` is the accepted state (ACCEPT), the state the run enters instead (REJECT, which
    may be the current state to mean "stay where you are"), or the current state (WAIT,
    ABORT). `details` is the `details` object of Prefect's OrchestrationResult, as is.
    """

    status: DecisionStatus
    state: State | None
    details: dict[str, Any]

    @classmethod
    def accept(cls, state: State) -> Decision:
        return cls(DecisionStatus.ACCEPT, state, {"type": "accept_details"})

    @classmethod
    def reject(cls, state: State | None, reason: str) -> Decision:
        return cls(DecisionStatus.REJECT, state, {"type": "reject_details", "reason": reason})

    @classmethod
    def abort(cls, reason: str, current: State | None) -> Decision:
        return cls(DecisionStatus.ABORT, current, {"type": "abort_details", "reason": reason})

    @classmethod
    def wait(cls, delay_seconds: float, reason: str, current: State | None) -> Decision:
        details = {"type": "wait_details", "delay_seconds": float(delay_seconds), "reason": reason}
        return cls(DecisionStatus.WAIT, current, details)

    def entered_state(self, run: RunSnapshot) -> State | None:
        """The state the run moves into, or None when it stays where it is.

        WAIT and ABORT never move the run; neither does a REJECT that answers with the
        run's current state (a repeated transition, a run that must stay CANCELLING).
        """
        if self.status not in (DecisionStatus.ACCEPT, DecisionStatus.REJECT):
            return None
        if self.state is None or (run.state is not None and self.state.id == run.state.id):
            return None
        return self.state
