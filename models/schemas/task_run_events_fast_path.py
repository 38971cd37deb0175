"""Task-run state events read without models: the `state` pool's fast path beside
`models.schemas.task_run_events`.

The `state` pool reads tens of thousands of these events a second, nearly all in the one
shape the Prefect client sends. Building an `Event` and a `TaskRunStateEvent` model for each
costs half as much again as plain checks, so `read_task_run_state_events` reads that usual
shape with plain checks, and hands anything else (a missing field, a number where a string
belongs, an unusual timestamp) to the models, which then decide exactly as before: the same
rows, or pydantic's ValidationError with its reason. One unreadable event never hides the
others.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, NamedTuple
from uuid import UUID

import orjson
from pydantic import ValidationError

from models.schemas.events import (
    FLOW_RUN_RESOURCE_PREFIX,
    MAX_LABELS_PER_RESOURCE,
    MAX_RELATED_RESOURCES,
    RESOURCE_ID,
    RESOURCE_ROLE,
    TASK_RUN_RESOURCE_PREFIX,
    Event,
)
from models.schemas.states import default_state_name
from models.schemas.task_run_events import MAX_INT32, TaskRunStateRows, task_run_state_rows
from models.schemas.task_runs import TaskRunPolicy
from models.states import StateType

#: Timestamps read without pydantic: ISO 8601 with an offset and at most microseconds.
#: Anything else (no offset, nanoseconds, a date alone) is left to pydantic to judge.
PLAIN_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)", re.ASCII
)
#: UUIDs read without pydantic: the canonical 8-4-4-4-12 form the client writes.
PLAIN_UUID: Final = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII
)
STATE_TYPES: Final = {state_type.value: state_type for state_type in StateType}
#: Retry settings already checked, by their JSON text: nearly every task run has the same.
KNOWN_POLICIES_LIMIT: Final = 1024
known_policies: dict[bytes, dict[str, Any]] = {}


class RejectedEvent(NamedTuple):
    """An event that cannot become task-run rows, and why."""

    event: Any
    error: ValidationError


class Unusual(Exception):
    """The event is not in the usual shape: the models read it instead."""


def read_task_run_state_events(
    events: list[Any],
) -> tuple[list[TaskRunStateRows], list[RejectedEvent]]:
    """The rows of every readable event, oldest state first, and the events that are not.

    The rows are exactly what `task_run_state_rows(Event.model_validate(event))` gives,
    the event's own row included.
    """
    rows: list[TaskRunStateRows] = []
    rejected: list[RejectedEvent] = []
    for event in events:
        try:
            rows.append(usual_event_rows(event))
        except Exception:  # whatever the plain reading did not expect, the models judge
            try:
                rows.append(task_run_state_rows(Event.model_validate(event)))
            except ValidationError as error:
                rejected.append(RejectedEvent(event, error))
    # Stable, like the sort of the models it replaces: equal timestamps keep arrival order.
    rows.sort(key=lambda row: row.state["timestamp"])
    return rows, rejected


def usual_event_rows(event: dict[str, Any]) -> TaskRunStateRows:
    """The rows of an event in the usual shape; raises `Unusual` (or another error) if not.

    Every check mirrors a rule of `Event`, `TaskRunStateEvent` or `ReportedTaskRun`; where
    a value would need converting (a string run count, a timestamp without offset) or a rule
    would fail, the event is unusual and pydantic gives the verdict.
    """
    event_id = uuid(event["id"])
    occurred = timestamp(event["occurred"])
    name = event["event"]
    if type(name) is not str or not 0 < len(name) <= 255:
        raise Unusual
    resource = labels(event["resource"])
    related = event.get("related")
    if related is None:
        related = []
    elif type(related) is not list or len(related) > MAX_RELATED_RESOURCES:
        raise Unusual
    flow_run_resource = None
    for item in related:
        labels(item)
        if not item.get(RESOURCE_ROLE):
            raise Unusual
        if flow_run_resource is None and item[RESOURCE_ROLE] == "flow-run":
            flow_run_resource = item[RESOURCE_ID]
    payload = event.get("payload")
    if payload is None:
        payload = {}
    elif type(payload) is not dict:
        raise Unusual
    follows = event.get("follows")
    if follows is not None:
        follows = uuid(follows)
    if event.get("received") is not None:
        raise Unusual  # ignored when stored, but still checked: the models do that

    # A UUID's text is its canonical form in lower case: no need to print it again.
    task_run_text = resource[RESOURCE_ID].removeprefix(TASK_RUN_RESOURCE_PREFIX)
    task_run_id = uuid(task_run_text)
    if flow_run_resource is not None:
        flow_run_text = flow_run_resource.removeprefix(FLOW_RUN_RESOURCE_PREFIX)
        flow_run_id = uuid(flow_run_text)
    else:
        flow_run_id = None
    state = payload.get("validated_state")
    if type(state) is dict:
        state_type = STATE_TYPES[state["type"]]
        state_name = optional_text(state.get("name"))
        message = state.get("message")
        details = state.get("state_details")
        data = state.get("data")
    else:
        state_type = STATE_TYPES[resource["prefect.state-type"]]
        state_name = optional_text(resource.get("prefect.state-name"))
        message = resource.get("prefect.state-message")
        details, data = None, None
    if message is not None and type(message) is not str:
        raise Unusual
    if details is None:
        details = {}
    elif type(details) is not dict:
        raise Unusual
    run = payload["task_run"]
    if type(run) is not dict:
        raise Unusual
    state_name = state_name or default_state_name(state_type)
    details = dict(details)
    details["task_run_id"] = task_run_text.lower()
    if flow_run_id is not None:
        details["flow_run_id"] = flow_run_text.lower()
    task_run_row = {
        "id": task_run_id,
        "name": text(present(run, "name", resource.get("prefect.resource.name"))),
        "flow_run_id": flow_run_id,
        "task_key": text(run["task_key"]),
        "dynamic_key": text(run["dynamic_key"]),
        "task_version": optional_text(run.get("task_version")),
        "cache_key": optional_text(run.get("cache_key")),
        "cache_expiration": optional_timestamp(run.get("cache_expiration")),
        "state_id": event_id,
        "state_type": state_type,
        "state_name": state_name,
        "state_timestamp": occurred,
        "run_count": count(present(run, "run_count", resource.get("prefect.run-count", 0))),
        "flow_run_run_count": count(present(run, "flow_run_run_count", 0)),
        "expected_start_time": optional_timestamp(run.get("expected_start_time")),
        "next_scheduled_start_time": optional_timestamp(run.get("next_scheduled_start_time")),
        "start_time": optional_timestamp(run.get("start_time")),
        "end_time": optional_timestamp(run.get("end_time")),
        "total_run_time_seconds": seconds(present(run, "total_run_time", 0.0)),
        "tags": tags(present(run, "tags", [])),
        "labels": mapping(present(run, "labels", {})),
        "task_inputs": mapping(present(run, "task_inputs", {})),
        "empirical_policy": retry_policy(run.get("empirical_policy")),
    }
    state_row = {
        "id": event_id,
        "task_run_id": task_run_id,
        "type": state_type,
        "name": state_name,
        "timestamp": occurred,
        "message": message,
        "state_details": details,
        "data": data,
    }
    event_row = {
        "id": event_id,
        "occurred": occurred,
        "event": name,
        "resource_id": resource[RESOURCE_ID],
        "resource": resource,
        "related": related,
        "payload": payload,
        "follows": follows,
    }
    return TaskRunStateRows(task_run=task_run_row, state=state_row, event=event_row)


def present(run: dict[str, Any], key: str, default: Any) -> Any:
    """The client's value, or the stand-in when it sent none or null (as the models do)."""
    value = run.get(key)
    return default if value is None else value


def uuid(value: Any) -> UUID:
    if type(value) is not str or PLAIN_UUID.fullmatch(value) is None:
        raise Unusual
    return UUID(value)


def timestamp(value: Any) -> datetime:
    if type(value) is not str or PLAIN_TIMESTAMP.fullmatch(value) is None:
        raise Unusual
    return datetime.fromisoformat(value)


def optional_timestamp(value: Any) -> datetime | None:
    return None if value is None else timestamp(value)


def text(value: Any) -> str:
    if type(value) is not str or len(value) > 255:
        raise Unusual
    return value


def optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


def count(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_INT32:
        raise Unusual
    return value


def seconds(value: Any) -> float:
    if type(value) not in (int, float) or not value >= 0:  # NaN is not >= 0 either
        raise Unusual
    return float(value)


def tags(value: Any) -> list[str]:
    if type(value) is not list or any(type(tag) is not str for tag in value):
        raise Unusual
    return list(value)


def mapping(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise Unusual
    return dict(value)


def labels(value: Any) -> dict[str, str]:
    """A resource's labels: strings only, with a usable `prefect.resource.id`."""
    if type(value) is not dict or len(value) > MAX_LABELS_PER_RESOURCE:
        raise Unusual
    for label in value.values():
        if type(label) is not str:
            raise Unusual
    if not 0 < len(value.get(RESOURCE_ID, "")) <= 255:
        raise Unusual
    return value


def retry_policy(value: Any) -> dict[str, Any]:
    """The run's retry settings as stored: checked by `TaskRunPolicy` once per distinct one."""
    if value is None:
        value = {}
    elif type(value) is not dict:
        raise Unusual
    key = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    stored = known_policies.get(key)
    if stored is None:
        try:
            stored = TaskRunPolicy.model_validate(value).model_dump(mode="json")
        except ValidationError:
            raise Unusual from None
        if len(known_policies) >= KNOWN_POLICIES_LIMIT:
            known_policies.clear()
        known_policies[key] = stored
    return dict(stored)  # a copy each: rows are the caller's to change
