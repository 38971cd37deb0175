"""Automation bodies as the Prefect 3.9.1 client sends them, shared by the schema unit tests
and the API tests."""

from __future__ import annotations

from typing import Any

#: The client's `EventTrigger(...).model_dump(mode="json")` for failed flow runs (id left out).
CLIENT_TRIGGER: dict[str, Any] = {
    "type": "event",
    "match": {"prefect.resource.id": "prefect.flow-run.*"},
    "match_related": {},
    "after": [],
    "expect": ["prefect.flow-run.Failed"],
    "for_each": [],
    "posture": "Reactive",
    "threshold": 1,
    "within": 0.0,
}


def automation_body(name: str = "failed flows", **fields: Any) -> dict[str, Any]:
    """What the 3.9.1 client sends for an automation (its `model_dump(mode="json")`)."""
    return {
        "name": name,
        "description": "",
        "enabled": True,
        "tags": [],
        "trigger": dict(CLIENT_TRIGGER),
        "actions": [{"type": "do-nothing"}],
        "actions_on_trigger": [],
        "actions_on_resolve": [],
        "owner_resource": None,
        **fields,
    }


def update_body(name: str = "failed flows", **fields: Any) -> dict[str, Any]:
    """What the client sends to replace one: the same, without `owner_resource`."""
    body = automation_body(name, **fields)
    del body["owner_resource"]
    return body
