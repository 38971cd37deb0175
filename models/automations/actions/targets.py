"""Which object an action acts on: the one it names (`source: selected`), or the one the
firing is about (`source: inferred`), as Prefect's server infers it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from models.automations.actions.invocation import ActionFailed

if TYPE_CHECKING:
    from models.automations.actions.invocation import Invocation


def id_of_resource(resource_id: str, kind: str) -> UUID | None:
    """The UUID of `prefect.<kind>.<uuid>`; None for another kind or a malformed id."""
    found_kind, _, found_id = resource_id.rpartition(".")
    if found_kind != f"prefect.{kind}":
        return None
    try:
        return UUID(found_id)
    except ValueError:
        return None


def involved_resources(event: dict[str, Any]) -> list[dict[str, Any]]:
    """The event's resource first, then its related resources, in order."""
    return [event.get("resource") or {}, *(event.get("related") or [])]


def first_id_of_kind(event: dict[str, Any] | None, kind: str) -> UUID | None:
    """The id of the first resource of `kind` the event involves."""
    for resource in involved_resources(event or {}):
        found = id_of_resource(str(resource.get("prefect.resource.id", "")), kind)
        if found is not None:
            return found
    return None


def inferred_flow_run_id(invocation: Invocation) -> UUID:
    """The flow run a flow-run action acts on: the firing's bucket when it tracks one resource
    per bucket (a proactive trigger has no event), else the event's first flow run."""
    labelled = str((invocation.firing.triggering_labels or {}).get("prefect.resource.id", ""))
    if (found := id_of_resource(labelled, "flow-run")) is not None:
        return found
    if (found := first_id_of_kind(invocation.triggering_event, "flow-run")) is not None:
        return found
    raise ActionFailed("No flow run could be inferred")


def selected_or_inferred(invocation: Invocation, field: str, kind: str) -> UUID:
    """The id the action names in `field` (`source: selected`, the default), or the first
    of `kind` the triggering event involves (`source: inferred`)."""
    action = invocation.action
    if action.get("source", "selected") == "selected":
        value = action.get(field)
        if not value:
            raise ActionFailed(f"{field} is required")
        try:
            return UUID(str(value))
        except ValueError:
            raise ActionFailed(f"{field} is not a UUID: {value!r}") from None
    event = invocation.triggering_event
    if event is None:
        raise ActionFailed(f"No event to infer the {kind.replace('-', ' ')}")
    if (found := first_id_of_kind(event, kind)) is not None:
        return found
    raise ActionFailed(f"No {kind.replace('-', ' ')} could be inferred")
