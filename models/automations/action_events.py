"""The events an automation's actions emit, in the shape Prefect's server gives them:
`prefect.automation.action.triggered` when an action starts, then
`prefect.automation.action.executed` or `prefect.automation.action.failed`.

Their ids derive from the action run, so a redelivered message stores each event once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID, uuid5

if TYPE_CHECKING:
    from models.automations.actions.invocation import Invocation

#: A triggering event more recent than this is what the triggered event `follows` (as the
#: reference: a stale `follows` would only hold the event back in subscribers' ordering).
FOLLOWS_WITHIN: Final = timedelta(minutes=5)


def action_event_id(run_id: UUID, which: str) -> UUID:
    """The id of the action run's `which` event ("triggered", "executed", "failed")."""
    return uuid5(run_id, which)


def automation_resource(invocation: Invocation) -> dict[str, str]:
    automation = invocation.automation
    trigger = automation.trigger or {}
    resource = {
        "prefect.resource.id": f"prefect.automation.{automation.id}",
        "prefect.resource.name": automation.name,
        "prefect.trigger-type": str(trigger.get("type", "event")),
    }
    if trigger.get("type", "event") == "event":
        resource["prefect.posture"] = str(trigger.get("posture", "Reactive"))
    return resource


def related_resources(
    invocation: Invocation, acted_on: list[dict[str, str]]
) -> list[dict[str, str]]:
    related = list(acted_on)
    event = invocation.triggering_event
    if event is not None and event.get("id"):
        related.append(
            {
                "prefect.resource.id": f"prefect.event.{event['id']}",
                "prefect.resource.role": "triggering-event",
            }
        )
    return related


def action_events(
    invocation: Invocation,
    *,
    started: datetime,
    ended: datetime | None,
    failure: str | None,
    details: dict[str, Any],
    acted_on: list[dict[str, str]],
) -> list[dict[str, Any]]:
    """The action's triggered event, and (when it ended) its executed or failed event."""
    run_id = invocation.run_id
    payload: dict[str, Any] = {
        "action_index": invocation.index,
        "action_type": invocation.action_type,
        "invocation": str(run_id),
    }
    resource = automation_resource(invocation)
    related = related_resources(invocation, acted_on)
    triggered_id = action_event_id(run_id, "triggered")
    follows = None
    event = invocation.triggering_event
    if event is not None and event.get("id") and event.get("occurred"):
        occurred = datetime.fromisoformat(str(event["occurred"]).replace("Z", "+00:00"))
        if abs(started - occurred) < FOLLOWS_WITHIN:
            follows = str(event["id"])
    events = [
        {
            "id": str(triggered_id),
            "occurred": started.isoformat(),
            "event": "prefect.automation.action.triggered",
            "resource": resource,
            "related": related,
            "payload": payload,
            "follows": follows,
        }
    ]
    if ended is not None:
        which = "executed" if failure is None else "failed"
        outcome_payload = {**payload, **details}
        if failure is not None:
            outcome_payload["reason"] = failure
        events.append(
            {
                "id": str(action_event_id(run_id, which)),
                "occurred": ended.isoformat(),
                "event": f"prefect.automation.action.{which}",
                "resource": resource,
                "related": related,
                "payload": outcome_payload,
                "follows": str(triggered_id),
            }
        )
    return events
