"""Automations in words: a trigger and its actions as one readable line each.

The automation pages show these beside the JSON; they read the JSON an automation is
returned as (`AutomationResponse.model_dump(mode="json")`), so any trigger or action the
API accepts has a sentence, if only its type.
"""

from __future__ import annotations

from typing import Any, Final

from api.ui.formatting import duration

#: How each action reads, by its type; `{target}` is what it acts on.
ACTION_WORDS: Final = {
    "do-nothing": "Do nothing",
    "run-deployment": "Run {target}",
    "pause-deployment": "Pause {target}",
    "resume-deployment": "Resume {target}",
    "cancel-flow-run": "Cancel the flow run",
    "suspend-flow-run": "Suspend the flow run",
    "resume-flow-run": "Resume the flow run",
    "delete-flow-run": "Delete the flow run",
    "pause-work-pool": "Pause {target}",
    "resume-work-pool": "Resume {target}",
    "pause-work-queue": "Pause {target}",
    "resume-work-queue": "Resume {target}",
    "pause-automation": "Pause {target}",
    "resume-automation": "Resume {target}",
}
#: The id field and the noun of each kind of target an action names.
TARGETS: Final = (
    ("deployment_id", "deployment"),
    ("work_pool_id", "work pool"),
    ("work_queue_id", "work queue"),
    ("automation_id", "automation"),
)


def events_text(events: list[str]) -> str:
    return " or ".join(sorted(events)) if events else "any event"


def resources_text(match: Any) -> str:
    """`match` (one resource specification or several) as `label=value` pairs."""
    specifications = match if isinstance(match, list) else [match]
    pairs = [
        f"{label}={' or '.join(value) if isinstance(value, list) else value}"
        for specification in specifications
        for label, value in sorted((specification or {}).items())
    ]
    return ", ".join(pairs)


def event_trigger_text(trigger: dict[str, Any]) -> str:
    within = float(trigger.get("within") or 0)
    window = f" within {duration(within)}" if within else ""
    threshold = int(trigger.get("threshold") or 1)
    events = events_text(list(trigger.get("expect") or []))
    if trigger.get("posture") == "Proactive" and threshold == 1:
        text = f"When {events} does not happen{window}"
    elif trigger.get("posture") == "Proactive":
        text = f"When fewer than {threshold} of {events} happen{window}"
    elif threshold > 1:
        text = f"When {threshold} of {events} happen{window}"
    else:
        text = f"When {events} happens{window}"
    if resources := resources_text(trigger.get("match") or {}):
        text += f" for {resources}"
    if related := resources_text(trigger.get("match_related") or {}):
        text += f" related to {related}"
    if trigger.get("after"):
        text += f", after {events_text(list(trigger['after']))}"
    if trigger.get("for_each"):
        text += f", for each {', '.join(sorted(trigger['for_each']))}"
    return text


def trigger_text(trigger: dict[str, Any]) -> str:
    """A trigger as a sentence; composite triggers name each of theirs in brackets."""
    kind = trigger.get("type", "event")
    if kind == "event":
        return event_trigger_text(trigger)
    children = [trigger_text(child) for child in trigger.get("triggers") or []]
    within = trigger.get("within")
    window = f" within {duration(float(within))}" if within else ""
    listed = "; ".join(f"({child})" for child in children)
    if kind == "sequence":
        return f"When {len(children)} triggers fire in order{window}: {listed}"
    if kind == "compound":
        return f"When {trigger.get('require')} of {len(children)} triggers fire{window}: {listed}"
    return f"A {kind} trigger"


def target_text(action: dict[str, Any]) -> str:
    for field, noun in TARGETS:
        if field in action:
            if action.get("source") == "inferred":
                return f"the {noun} of the triggering event"
            return f"{noun} {action.get(field) or '(none)'}"
    return "its target"


def action_text(action: dict[str, Any]) -> str:
    """An action as a short imperative sentence."""
    kind = str(action.get("type", ""))
    if kind in ACTION_WORDS:
        return ACTION_WORDS[kind].format(target=target_text(action))
    if kind == "change-flow-run-state":
        name = f" ({action['name']})" if action.get("name") else ""
        return f"Set the flow run's state to {action.get('state')}{name}"
    if kind == "send-notification":
        subject = action.get("subject") or ""
        return f"Send “{subject}” through block {action.get('block_document_id')}"
    if kind == "call-webhook":
        return f"Call the webhook of block {action.get('block_document_id')}"
    return f"A {kind or 'typeless'} action"


def actions_text(automation: dict[str, Any]) -> list[str]:
    """Every action of an automation, those on trigger and on resolve said as such."""
    return [
        *(action_text(action) for action in automation.get("actions") or []),
        *(f"On trigger: {action_text(a)}" for a in automation.get("actions_on_trigger") or []),
        *(f"On resolve: {action_text(a)}" for a in automation.get("actions_on_resolve") or []),
    ]
