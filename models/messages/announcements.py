"""Announcements: a flow run entered a state the API committed, and what follows is queued.

The `announce_flow_run_states` message is a list of these. The API sends one after
`POST /api/flow_runs/` and every accepted `set_state`; crash detection sends one for each
run it marks CRASHED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, NotRequired

from pydantic import TypeAdapter
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

if TYPE_CHECKING:
    from uuid import UUID

#: What an announcement without `parent_task_run_id` stands for: not known, to be read.
UNKNOWN_PARENT: Final = "unknown"
#: The actor that takes a list of announcements (`actors.persistence`), by name, for the
#: outbox rows that hold them.
ANNOUNCING_ACTOR: Final = "announce_flow_run_states"


class Announcement(TypedDict):
    """One item of an `announce_flow_run_states` message, as JSON carries it (ids as text).

    Validated once, where it is read: the actor parses its argument with
    `announcement_batch`. It is built only by `announcement`, from typed values mypy has
    checked, so checking it there as well would find nothing. `parent_task_run_id` is the
    subflow's placeholder task run, null for a run that is not a subflow; messages queued
    before it existed lack the key, and then it is read from the database
    (`may_be_subflow`).
    """

    flow_run_id: str
    state_id: str
    initial_state: dict[str, Any] | None
    parent_task_run_id: NotRequired[str | None]


#: Parses the argument of an `announce_flow_run_states` message (pydantic's ValidationError).
announcement_batch: TypeAdapter[list[Announcement]] = TypeAdapter(list[Announcement])


def announcement(
    flow_run_id: UUID,
    state_id: UUID,
    initial_state: dict[str, Any] | None,
    parent_task_run_id: UUID | None,
) -> Announcement:
    """The announcement of `flow_run_id` entering the state `state_id`."""
    # Ids as text, not UUIDs for the encoder to write: the broker's fallback encoder (the
    # standard library's, for what orjson refuses in `initial_state`) cannot write UUIDs.
    return {
        "flow_run_id": str(flow_run_id),
        "state_id": str(state_id),
        "initial_state": initial_state,
        "parent_task_run_id": None if parent_task_run_id is None else str(parent_task_run_id),
    }


def may_be_subflow(item: Announcement) -> bool:
    """Whether the announced run may be a subflow: it names a parent task run, or (an older
    message) does not say."""
    return item.get("parent_task_run_id", UNKNOWN_PARENT) is not None
