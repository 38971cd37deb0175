"""Task-run events read without models give exactly what the models give, or their verdict."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from models.schemas.events import Event
from models.schemas.task_run_events import task_run_state_rows
from models.schemas.task_run_events_fast_path import read_task_run_state_events, usual_event_rows
from tests.integration.events import task_run_event

TASK_RUN_ID = str(uuid4())
FLOW_RUN_ID = str(uuid4())


def client_event() -> dict[str, Any]:
    return task_run_event(TASK_RUN_ID, FLOW_RUN_ID, "RUNNING", "Running", seconds=1.5)


def setter(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, given `...`, remove) the value at a path of the event (keys joined by /)."""

    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target = event
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is ...:
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(value)

    return change


def together(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """All the changes, one after the other."""

    def change(event: dict[str, Any]) -> None:
        for one in changes:
            one(event)

    return change


RUN = "payload/task_run"
STATE = "payload/validated_state"
CHANGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "as sent": lambda event: None,
    "no id": setter("id", ...),
    "id without hyphens": setter("id", uuid4().hex),
    "id in capitals": setter("id", str(uuid4()).upper()),
    "id not a uuid": setter("id", "not-a-uuid"),
    "id a number": setter("id", 12),
    "occurred in Z": setter("occurred", "2026-11-25T18:01:45.25Z"),
    "occurred with an offset": setter("occurred", "2026-11-25T20:01:45.123+02:00"),
    "occurred without offset": setter("occurred", "2026-11-25T18:01:45"),
    "occurred in nanoseconds": setter("occurred", "2026-11-25T18:01:45.123456789Z"),
    "occurred a date": setter("occurred", "2026-11-25"),
    "occurred nonsense": setter("occurred", "2026-13-45T99:01:45Z"),
    "occurred a number": setter("occurred", 1764093705),
    "empty name": setter("event", ""),
    "long name": setter("event", "prefect.task-run." + "x" * 300),
    "no resource id": setter("resource/prefect.resource.id", ...),
    "empty resource id": setter("resource/prefect.resource.id", ""),
    "resource id of a flow run": setter(
        "resource/prefect.resource.id", f"prefect.flow-run.{uuid4()}"
    ),
    "numeric label": setter("resource/prefect.run-count", 1),
    "no related": setter("related", ...),
    "null related": setter("related", None),
    "related not a list": setter("related", {"a": "b"}),
    "related without role": setter("related/0/prefect.resource.role", ...),
    "related with a null label": setter("related/1/prefect.resource.name", None),
    "flow run id not a uuid": setter("related/0/prefect.resource.id", "prefect.flow-run.x"),
    "too many related": setter(
        "related",
        [{"prefect.resource.id": f"r{n}", "prefect.resource.role": "tag"} for n in range(101)],
    ),
    "null payload": setter("payload", None),
    "payload a list": setter("payload", []),
    "follows a uuid": setter("follows", str(uuid4())),
    "follows nonsense": setter("follows", "nope"),
    "received given": setter("received", "2026-11-25T18:01:45Z"),
    "received nonsense": setter("received", "soon"),
    "no validated state": setter(STATE, ...),
    "no state at all": together(
        setter(STATE, ...),
        setter("resource/prefect.state-type", ...),
    ),
    "unknown state type": setter(f"{STATE}/type", "SLEEPING"),
    "state type in lower case": setter(f"{STATE}/type", "running"),
    "null state name": setter(f"{STATE}/name", None),
    "empty state name": setter(f"{STATE}/name", ""),
    "long state name": setter(f"{STATE}/name", "n" * 256),
    "null message": setter(f"{STATE}/message", None),
    "numeric message": setter(f"{STATE}/message", 3),
    "null details": setter(f"{STATE}/state_details", None),
    "details": setter(f"{STATE}/state_details", {"cache_key": "k", "flow_run_id": "old"}),
    "details a list": setter(f"{STATE}/state_details", [1]),
    "data": setter(f"{STATE}/data", {"storage_key": "x", "values": [1, 2.5, None]}),
    "no task run": setter(RUN, ...),
    "null task run": setter(RUN, None),
    "no run name": setter(f"{RUN}/name", ...),
    "no run name anywhere": together(
        setter(f"{RUN}/name", ...),
        setter("resource/prefect.resource.name", ...),
    ),
    "long run name": setter(f"{RUN}/name", "n" * 256),
    "null task key": setter(f"{RUN}/task_key", None),
    "numeric dynamic key": setter(f"{RUN}/dynamic_key", 4),
    "task version": setter(f"{RUN}/task_version", "1.2"),
    "cache key and expiration": together(
        setter(f"{RUN}/cache_key", "abc"),
        setter(f"{RUN}/cache_expiration", "2026-12-01T00:00:00Z"),
    ),
    "cache expiration without offset": setter(f"{RUN}/cache_expiration", "2026-12-01T00:00:00"),
    "no run count": setter(f"{RUN}/run_count", ...),
    "run count a float": setter(f"{RUN}/run_count", 2.0),
    "run count a bool": setter(f"{RUN}/run_count", True),
    "negative run count": setter(f"{RUN}/run_count", -1),
    "huge run count": setter(f"{RUN}/run_count", 2**31),
    "null flow run run count": setter(f"{RUN}/flow_run_run_count", None),
    "start and end times": together(
        setter(f"{RUN}/start_time", "2026-11-25T18:01:44.1+00:00"),
        setter(f"{RUN}/end_time", "2026-11-25T18:01:46.000001Z"),
        setter(f"{RUN}/next_scheduled_start_time", "2026-11-25T18:01:40Z"),
    ),
    "null expected start time": setter(f"{RUN}/expected_start_time", None),
    "integer run time": setter(f"{RUN}/total_run_time", 3),
    "negative run time": setter(f"{RUN}/total_run_time", -0.5),
    "run time a string": setter(f"{RUN}/total_run_time", "1.5"),
    "run time beyond a float": setter(f"{RUN}/total_run_time", 10**400),
    "policy beyond 64 bits": setter(f"{RUN}/empirical_policy", {"retries": 2**70}),
    "null tags": setter(f"{RUN}/tags", None),
    "numeric tag": setter(f"{RUN}/tags", ["a", 1]),
    "labels": setter(f"{RUN}/labels", {"team": "data", "n": 3}),
    "labels a list": setter(f"{RUN}/labels", ["x"]),
    "null inputs": setter(f"{RUN}/task_inputs", None),
    "null policy": setter(f"{RUN}/empirical_policy", None),
    "policy with delays": setter(
        f"{RUN}.empirical_policy", {"retries": 2, "retry_delay": [1, 2.5], "max_retries": 2}
    ),
    "negative retries": setter(f"{RUN}/empirical_policy", {"retries": -1}),
    "policy a list": setter(f"{RUN}/empirical_policy", [1]),
    "not an object": lambda event: event.clear(),
}


def modelled(event: Any) -> Any:
    """What the models make of the event: its rows, or the text of their error."""
    try:
        return task_run_state_rows(Event.model_validate(event))
    except ValidationError as error:
        return str(error)


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_an_event_gives_what_the_models_give(change: Callable[[dict[str, Any]], None]) -> None:
    event = client_event()
    change(event)
    rows, rejected = read_task_run_state_events([event])
    expected = modelled(event)
    if isinstance(expected, str):
        assert rows == []
        assert [(item.event, str(item.error)) for item in rejected] == [(event, expected)]
    else:
        assert rejected == []
        assert rows == [expected]
        # Equal instants are not enough: the offsets the rows carry match too.
        for read, model in zip(rows[0], expected, strict=True):
            for key, value in model.items():
                assert type(read[key]) is type(value) or hasattr(value, "utcoffset"), key


def test_the_clients_events_are_read_without_models() -> None:
    usual_event_rows(client_event())  # raises if it would fall back to the models


def test_a_bad_event_leaves_the_good_ones_of_its_batch_readable() -> None:
    good = [client_event(), client_event()]
    bad = client_event()
    del bad["id"]
    rows, rejected = read_task_run_state_events([good[0], bad, good[1]])
    assert sorted(row.state["id"] for row in rows) == sorted(
        modelled(event).state["id"] for event in good
    )
    assert [item.event for item in rejected] == [bad]
    assert "id" in str(rejected[0].error)


def test_rows_come_oldest_state_first_whatever_the_arrival_order() -> None:
    events = [
        task_run_event(TASK_RUN_ID, FLOW_RUN_ID, "COMPLETED", "Completed", seconds=3),
        task_run_event(TASK_RUN_ID, FLOW_RUN_ID, "PENDING", "Pending", seconds=1),
        task_run_event(TASK_RUN_ID, FLOW_RUN_ID, "RUNNING", "Running", seconds=2),
    ]
    rows, _ = read_task_run_state_events(events)
    assert [row.state["name"] for row in rows] == ["Pending", "Running", "Completed"]
