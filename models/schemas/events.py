"""Wire schema of events: what clients send on /api/events/in, one JSON text frame each.

`Event` is the schema; `EventFrame` beside it is the socket's fast path, the same rules
read as a plain dict. Task-run state events are read further by `models.schemas.task_run_events`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Required
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
)
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

from models.schemas.nulls import nulls_are_defaults
from models.schemas.stored_times import StoredTime

RESOURCE_ID: Final = "prefect.resource.id"
RESOURCE_ROLE: Final = "prefect.resource.role"
TASK_RUN_RESOURCE_PREFIX: Final = "prefect.task-run."
FLOW_RUN_RESOURCE_PREFIX: Final = "prefect.flow-run."
#: Event names of task-run states: `prefect.task-run.Running`, `prefect.task-run.Retrying`...
TASK_RUN_STATE_EVENT_PREFIX: Final = "prefect.task-run."

#: Prefect's own server refuses events beyond these, so no client sends more.
MAX_LABELS_PER_RESOURCE: Final = 500
MAX_RELATED_RESOURCES: Final = 100


def require_resource_id(labels: dict[str, str]) -> dict[str, str]:
    """A resource is known by its `prefect.resource.id`, which the event table indexes."""
    resource_id = labels.get(RESOURCE_ID)
    if not resource_id:
        raise ValueError(f"a resource needs a non-empty {RESOURCE_ID!r} label")
    if len(resource_id) > 255:
        raise ValueError(f"{RESOURCE_ID!r} is longer than 255 characters")
    if len(labels) > MAX_LABELS_PER_RESOURCE:
        raise ValueError(f"a resource has at most {MAX_LABELS_PER_RESOURCE} labels")
    return labels


def require_role(labels: dict[str, str]) -> dict[str, str]:
    """A related resource says how it relates: `flow-run`, `flow`, `tag`, `deployment`..."""
    if not labels.get(RESOURCE_ROLE):
        raise ValueError(f"a related resource needs a non-empty {RESOURCE_ROLE!r} label")
    return labels


Resource = Annotated[dict[str, str], AfterValidator(require_resource_id)]
RelatedResource = Annotated[
    dict[str, str], AfterValidator(require_resource_id), AfterValidator(require_role)
]


class Event(BaseModel):
    """One event as a client sends it on /api/events/in (one JSON text frame each)."""

    model_config = ConfigDict(extra="ignore")

    #: Chosen by the client (UUIDv7); a resent event has the same id and is stored once.
    id: UUID
    occurred: StoredTime
    event: str = Field(min_length=1, max_length=255)
    resource: Resource
    related: list[RelatedResource] = Field(default_factory=list, max_length=MAX_RELATED_RESOURCES)
    payload: dict[str, Any] = Field(default_factory=dict)
    #: The previous event about the same resource, if the client knows it.
    follows: UUID | None = None
    #: Set by the server: what a client sends here is ignored when the event is stored.
    received: AwareDatetime | None = None

    null_is_default = nulls_are_defaults("related", "payload")

    @property
    def resource_id(self) -> str:
        return self.resource[RESOURCE_ID]

    def related_by_role(self, role: str) -> list[dict[str, str]]:
        """The related resources with that role, in the order the client sent them."""
        return [related for related in self.related if related.get(RESOURCE_ROLE) == role]

    def row(self, received: datetime) -> dict[str, Any]:
        """The values of this event's row in the `event` table, received at `received`."""
        return self.columns() | {"received": received}

    def columns(self) -> dict[str, Any]:
        """The row's values that come from the client: all but `received`."""
        return {
            "id": self.id,
            "occurred": self.occurred,
            "event": self.event,
            "resource_id": self.resource_id,
            "resource": self.resource,
            "related": self.related,
            "payload": self.payload,
            "follows": self.follows,
        }


class EventFrame(TypedDict, total=False):
    """What /api/events/in checks of each frame: an `Event`, read as a plain dict.

    It accepts exactly what `Event` accepts, without building the model (the socket only
    needs the verdict, the id and the name; the frame itself is what travels on). `id`,
    `occurred`, `event` and `resource` are required, as in `Event`.
    """

    id: Required[UUID]
    occurred: Required[StoredTime]
    event: Required[Annotated[str, Field(min_length=1, max_length=255)]]
    resource: Required[Resource]
    related: Annotated[list[RelatedResource], Field(max_length=MAX_RELATED_RESOURCES)] | None
    payload: dict[str, Any] | None
    follows: UUID | None
    received: AwareDatetime | None


#: Validates one /api/events/in text frame (raises pydantic's ValidationError).
event_frame: TypeAdapter[EventFrame] = TypeAdapter(EventFrame)


def is_task_run_state_event(event: Event | EventFrame) -> bool:
    """Whether the event reports a task run entering a state."""
    if isinstance(event, Event):
        name, resource_id = event.event, event.resource_id
    else:
        name, resource_id = event["event"], event["resource"][RESOURCE_ID]
    return name.startswith(TASK_RUN_STATE_EVENT_PREFIX) and resource_id.startswith(
        TASK_RUN_RESOURCE_PREFIX
    )
