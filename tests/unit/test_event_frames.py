"""The events socket's frame check (`EventFrame`) accepts exactly what `Event` accepts."""

from __future__ import annotations

import copy
from typing import Any
from uuid import uuid4

import orjson
import pytest
from pydantic import ValidationError

from models.schemas.events import MAX_LABELS_PER_RESOURCE, MAX_RELATED_RESOURCES, Event, event_frame
from tests.integration.events import task_run_event

RESOURCE_ID = "prefect.resource.id"
ROLE = "prefect.resource.role"


def client_event() -> dict[str, Any]:
    return task_run_event(str(uuid4()), str(uuid4()), "RUNNING", "Running", seconds=1.5)


def related(count: int) -> list[dict[str, str]]:
    return [{RESOURCE_ID: f"prefect.tag.{index}", ROLE: "tag"} for index in range(count)]


CHANGES: dict[str, tuple[str, Any]] = {
    "as sent": ("id", None),
    "no id": ("id", ...),
    "id without hyphens": ("id", uuid4().hex),
    "id not a uuid": ("id", "not-a-uuid"),
    "occurred in Z": ("occurred", "2026-11-25T18:01:45.25Z"),
    "occurred without offset": ("occurred", "2026-11-25T18:01:45.25"),
    "occurred as a number": ("occurred", 1764093705),
    "no occurred": ("occurred", ...),
    "event empty": ("event", ""),
    "event of 255 characters": ("event", "e" * 255),
    "event of 256 characters": ("event", "e" * 256),
    "event a number": ("event", 7),
    "resource without its id": ("resource", {"prefect.resource.name": "x"}),
    "resource with an empty id": ("resource", {RESOURCE_ID: ""}),
    "resource id of 256 characters": ("resource", {RESOURCE_ID: "r" * 256}),
    "resource with a number label": ("resource", {RESOURCE_ID: "r", "count": 3}),
    "resource with too many labels": (
        "resource",
        {RESOURCE_ID: "r"} | {f"l{i}": "v" for i in range(MAX_LABELS_PER_RESOURCE)},
    ),
    "related null": ("related", None),
    "no related": ("related", ...),
    "related without a role": ("related", [{RESOURCE_ID: "prefect.tag.a"}]),
    "related without an id": ("related", [{ROLE: "tag"}]),
    "related at the cap": ("related", related(MAX_RELATED_RESOURCES)),
    "related past the cap": ("related", related(MAX_RELATED_RESOURCES + 1)),
    "related an object": ("related", {RESOURCE_ID: "prefect.tag.a", ROLE: "tag"}),
    "payload null": ("payload", None),
    "payload a list": ("payload", []),
    "follows given": ("follows", str(uuid4())),
    "follows not a uuid": ("follows", "earlier"),
    "received given": ("received", "2026-11-25T18:01:46Z"),
    "received without offset": ("received", "2026-11-25T18:01:46"),
    "an unknown key": ("color", "red"),
}


def changed(key: str, value: Any) -> dict[str, Any]:
    event = client_event()
    if value is ...:
        event.pop(key)
    elif value is not None or key != "id":
        event[key] = copy.deepcopy(value)
    return event


@pytest.mark.parametrize(("key", "value"), CHANGES.values(), ids=CHANGES.keys())
def test_a_frame_is_accepted_exactly_when_its_event_is(key: str, value: Any) -> None:
    frame = orjson.dumps(changed(key, value))
    try:
        event = Event.model_validate_json(frame)
    except ValidationError:
        with pytest.raises(ValidationError):
            event_frame.validate_json(frame)
        return
    checked = event_frame.validate_json(frame)
    assert (checked["id"], checked["occurred"]) == (event.id, event.occurred)
    assert (checked["event"], checked["resource"]) == (event.event, event.resource)
    assert (checked.get("related") or []) == event.related
    assert (checked.get("payload") or {}) == event.payload
    assert checked.get("follows") == event.follows
    assert checked.get("received") == event.received
