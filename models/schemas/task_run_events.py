"""How a `prefect.task-run.<State>` event becomes task-run rows: the schema of its payload.

In Prefect 3 ordinary task runs never call the REST API: the client computes each state
itself and reports it as one event on /api/events/in. Those events are the only record of
a task run the server ever gets, so `TaskRunStateEvent` turns one into the values of a
`task_run` row and a `task_run_state` row. The `state` pool reads the client's usual shape
without models, in `models.schemas.task_run_events_fast_path` beside this module.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
)

from models.schemas.events import (
    FLOW_RUN_RESOURCE_PREFIX,
    RESOURCE_ID,
    TASK_RUN_RESOURCE_PREFIX,
    Event,
)
from models.schemas.nulls import nulls_are_defaults
from models.schemas.states import ClientState, default_state_name
from models.schemas.stored_times import StoredTime
from models.schemas.task_runs import TaskRunPolicy

#: Largest value of a 32-bit integer column (run counts).
MAX_INT32: Final = 2**31 - 1


class ReportedState(ClientState):
    """`payload.validated_state`: the state the client computed for the task run."""


class ReportedTaskRun(BaseModel):
    """`payload.task_run`: the task run as the client knew it when it entered the state.

    It has no `flow_run_id`: that comes from the related `flow-run` resource.
    """

    model_config = ConfigDict(extra="ignore")

    name: str = Field(max_length=255)
    task_key: str = Field(max_length=255)
    dynamic_key: str = Field(max_length=255)
    task_version: str | None = Field(default=None, max_length=255)
    cache_key: str | None = Field(default=None, max_length=255)
    cache_expiration: AwareDatetime | None = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, Any] = Field(default_factory=dict)
    task_inputs: dict[str, Any] = Field(default_factory=dict)
    run_count: int = Field(default=0, ge=0, le=MAX_INT32)
    flow_run_run_count: int = Field(default=0, ge=0, le=MAX_INT32)
    expected_start_time: AwareDatetime | None = None
    next_scheduled_start_time: AwareDatetime | None = None
    start_time: AwareDatetime | None = None
    end_time: AwareDatetime | None = None
    total_run_time: NonNegativeFloat = 0.0

    null_is_default = nulls_are_defaults("empirical_policy", "tags", "labels", "task_inputs")


class TaskRunStateRows(NamedTuple):
    """The column values a task-run state event writes.

    `event` is the event's own row in the `event` table, but for `received`, which the
    writer sets when it stores the rows.
    """

    task_run: dict[str, Any]
    state: dict[str, Any]
    event: dict[str, Any]


class TaskRunStateEvent(BaseModel):
    """A `prefect.task-run.<State>` event, read as the task run and state it reports."""

    event_id: UUID
    task_run_id: UUID
    flow_run_id: UUID | None
    occurred: StoredTime
    state: ReportedState
    task_run: ReportedTaskRun

    @classmethod
    def from_event(cls, event: Event) -> TaskRunStateEvent:
        """Read the event; raises pydantic's ValidationError when it lacks what a row needs.

        The state comes from `payload.validated_state`, or failing that from the resource's
        `prefect.state-*` labels; the run from `payload.task_run`, with the resource's name
        and run count standing in for missing ones.
        """
        payload = event.payload
        resource = event.resource
        state = payload.get("validated_state")
        if not isinstance(state, dict):
            state = {
                "type": resource.get("prefect.state-type"),
                "name": resource.get("prefect.state-name"),
                "message": resource.get("prefect.state-message"),
            }
        task_run = payload.get("task_run")
        if isinstance(task_run, dict):
            task_run = {
                "name": resource.get("prefect.resource.name"),
                "run_count": resource.get("prefect.run-count", 0),
            } | {key: value for key, value in task_run.items() if value is not None}
        flow_runs = event.related_by_role("flow-run")
        return cls.model_validate(
            {
                "event_id": event.id,
                # A resource id of another kind keeps its prefix and fails as a UUID.
                "task_run_id": event.resource_id.removeprefix(TASK_RUN_RESOURCE_PREFIX),
                "flow_run_id": (
                    flow_runs[0][RESOURCE_ID].removeprefix(FLOW_RUN_RESOURCE_PREFIX)
                    if flow_runs
                    else None
                ),
                "occurred": event.occurred,
                "state": state,
                "task_run": task_run,
            }
        )

    def rows(self, event: Event) -> TaskRunStateRows:
        """The `task_run` row (with this state as its current one), the history row, and
        the row of `event`, the event this was read from.

        The state's id is the event's id and its timestamp the event's `occurred`, so a
        redelivered event writes the same rows again.
        """
        run = self.task_run
        state_name = self.state.name or default_state_name(self.state.type)
        details = dict(self.state.state_details) | {"task_run_id": str(self.task_run_id)}
        if self.flow_run_id is not None:
            details["flow_run_id"] = str(self.flow_run_id)
        task_run_row = {
            "id": self.task_run_id,
            "name": run.name,
            "flow_run_id": self.flow_run_id,
            "task_key": run.task_key,
            "dynamic_key": run.dynamic_key,
            "task_version": run.task_version,
            "cache_key": run.cache_key,
            "cache_expiration": run.cache_expiration,
            "state_id": self.event_id,
            "state_type": self.state.type,
            "state_name": state_name,
            "state_timestamp": self.occurred,
            "run_count": run.run_count,
            "flow_run_run_count": run.flow_run_run_count,
            "expected_start_time": run.expected_start_time,
            "next_scheduled_start_time": run.next_scheduled_start_time,
            "start_time": run.start_time,
            "end_time": run.end_time,
            "total_run_time_seconds": run.total_run_time,
            "tags": run.tags,
            "labels": run.labels,
            "task_inputs": run.task_inputs,
            "empirical_policy": run.empirical_policy.model_dump(mode="json"),
        }
        state_row = {
            "id": self.event_id,
            "task_run_id": self.task_run_id,
            "type": self.state.type,
            "name": state_name,
            "timestamp": self.occurred,
            "message": self.state.message,
            "state_details": details,
            "data": self.state.data,
        }
        return TaskRunStateRows(task_run=task_run_row, state=state_row, event=event.columns())


def task_run_state_rows(event: Event) -> TaskRunStateRows:
    """The task-run row, state row and event row a `prefect.task-run.<State>` event writes.

    Raises pydantic's ValidationError when the event cannot make them.
    """
    return TaskRunStateEvent.from_event(event).rows(event)
