"""Event batches: the messages of `persist_events` and `record_task_run_events`.

Both carry client events exactly as the client wrote them on /api/events/in: task-run
states go to `record_task_run_events` (the `state` queue), every other event to
`persist_events` (`ingest`).
"""

from __future__ import annotations

from typing import Any, TypeAlias, cast

import orjson
from pydantic import TypeAdapter

from models.schemas.events import Event

#: One event of either message. The API queues the frame's JSON text as the client sent it
#: (an `orjson.Fragment`, which the broker's encoder embeds as it is): writing a parsed copy
#: back to JSON would cost as much as reading it. An actor receives, or sends on, the JSON
#: object.
#:
#: Where it is checked: the API checks each frame as an event (`event_frame`), since the
#: client must hear at once that a frame is not one (its socket closes with the reason).
#: An actor then has to read the text into typed values for its rows, and pydantic reads
#: and checks in one pass: `persist_events` reads it as an `Event` (`event_batch`), and
#: `record_task_run_events` as task-run rows (`read_task_run_state_events`), checking there
#: what only it reads, the task run and its state. An event the API let through does not
#: fail as an `Event` in an actor; one that does (a bug, a message put on Redis by hand)
#: becomes a dead letter with its reason.
QueuedEvent: TypeAlias = orjson.Fragment | dict[str, Any]

#: Reads the argument of a `persist_events` message (raises pydantic's ValidationError).
event_batch: TypeAdapter[list[Event]] = TypeAdapter(list[Event])


def queued_event(frame: str | bytes) -> orjson.Fragment:
    """An event frame from the socket, to travel on as the client wrote it."""
    return orjson.Fragment(frame)


def received_events(events: list[QueuedEvent]) -> list[dict[str, Any]]:
    """The events of a message as an actor receives them: JSON objects, never fragments
    (the broker decoded the message)."""
    return cast(list[dict[str, Any]], events)
