"""The published shapes of three channels' requests, as JSON Schemas to validate against.

Written from the vendors' published specifications, keeping every property and limit they
document for what Signalbox sends (and refusing anything else):
- Teams: microsoft/AdaptiveCards `schemas/1.4.0/adaptive-card.json` (AdaptiveCard,
  TextBlock, Action.OpenUrl; the card allows no other property, and has no `msteams`,
  which Teams reads and the schema does not know, so it is removed before validating) and
  the message envelope of msteams-docs `connectors-using.md`.
- PagerDuty: PagerDuty/api-schema `reference/events-v2/openapiv3.json` (the /enqueue body
  and Payload), with the limits of its developer docs (summary 1024, dedup_key 255).
- Opsgenie: opsgenie/opsgenie-oas `definitions/alert.yaml` (CreateAlertPayload, Recipient),
  with docs.opsgenie.com's field limits (message 130, alias 512, description 15000, 20
  tags of 50 characters).
"""

from __future__ import annotations

from typing import Any, Final

import jsonschema

TEXT_BLOCK: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "text"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string"},
        "weight": {"enum": ["Default", "Lighter", "Bolder"]},
        "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
        "wrap": {"type": "boolean"},
        "isSubtle": {"type": "boolean"},
        "maxLines": {"type": "number"},
    },
}

OPEN_URL: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "url"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "Action.OpenUrl"},
        "title": {"type": "string"},
        "url": {"type": "string", "format": "uri-reference"},
    },
}

ADAPTIVE_CARD_1_4: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "version"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string"},
        "type": {"const": "AdaptiveCard"},
        "version": {"type": "string", "pattern": r"^1\.[0-4]$"},
        "body": {"type": "array", "items": TEXT_BLOCK},
        "actions": {"type": "array", "items": OPEN_URL},
        "fallbackText": {"type": "string"},
        "speak": {"type": "string"},
        "lang": {"type": "string"},
    },
}

TEAMS_MESSAGE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": ["string", "null"]},
                    "content": {"type": "object"},
                },
            },
        },
    },
}

PAGERDUTY_EVENT: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "additionalProperties": False,
    "properties": {
        "routing_key": {"type": "string"},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "client": {"type": "string"},
        "client_url": {"type": "string"},
        "links": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["href"],
                "properties": {"href": {"type": "string"}, "text": {"type": "string"}},
            },
        },
        "images": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["src"],
                "properties": {
                    "src": {"type": "string", "pattern": "^https://"},
                    "href": {"type": "string"},
                    "alt": {"type": "string"},
                },
            },
        },
        "payload": {
            "type": "object",
            "required": ["summary", "severity", "source"],
            "additionalProperties": False,
            "properties": {
                "summary": {"type": "string", "maxLength": 1024},
                "timestamp": {"type": "string", "format": "date-time"},
                "severity": {"enum": ["critical", "warning", "error", "info"]},
                "source": {"type": "string"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
        },
    },
}

RECIPIENT: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["type"],
    "additionalProperties": False,
    "properties": {
        "type": {"enum": ["team", "user", "escalation", "schedule"]},
        "id": {"type": "string"},
        "name": {"type": "string"},
        "username": {"type": "string"},
    },
}

OPSGENIE_ALERT: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {
        "user": {"type": "string"},
        "note": {"type": "string"},
        "source": {"type": "string"},
        "message": {"type": "string", "minLength": 1, "maxLength": 130},
        "alias": {"type": "string", "maxLength": 512},
        "description": {"type": "string", "maxLength": 15_000},
        "responders": {"type": "array", "items": RECIPIENT},
        "visibleTo": {"type": "array", "items": RECIPIENT},
        "actions": {"type": "array", "items": {"type": "string"}},
        "tags": {"type": "array", "maxItems": 20, "items": {"type": "string", "maxLength": 50}},
        "details": {"type": "object", "additionalProperties": {"type": "string"}},
        "entity": {"type": "string"},
        "priority": {"enum": ["P1", "P2", "P3", "P4", "P5"]},
    },
}


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `instance` has the shape."""
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker()).validate(instance)


def validate_teams_message(message: dict[str, Any]) -> None:
    """The envelope, then each card without the Teams-only `msteams` property."""
    validate(message, TEAMS_MESSAGE)
    for attachment in message["attachments"]:
        card = {key: value for key, value in attachment["content"].items() if key != "msteams"}
        validate(card, ADAPTIVE_CARD_1_4)
