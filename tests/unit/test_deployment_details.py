"""How deployment pages word schedules and parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from api.ui.deployment_details import (
    ParameterRow,
    describe_schedule,
    parameter_rows,
    summarize_schedules,
    type_of,
)


@dataclass
class Schedule:
    schedule: dict[str, Any]
    active: bool = True


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        ({"interval": 3600.0, "anchor_date": "2024-01-01T00:00:00Z"}, "Every 1 h"),
        ({"interval": 3600, "timezone": "UTC"}, "Every 1 h"),
        ({"interval": 90, "timezone": None}, "Every 1 min 30 s"),
        ({"interval": 86400 * 2}, "Every 2 d"),
        ({"cron": "0 9 * * 1-5", "timezone": "Europe/Paris", "day_or": True},
         "Cron 0 9 * * 1-5 (Europe/Paris)"),
        ({"cron": "0 0 1 * 1", "timezone": "UTC", "day_or": False},
         "Cron 0 0 1 * 1, days AND weekdays"),
        ({"rrule": "FREQ=DAILY;BYHOUR=6", "timezone": "UTC"}, "RRule FREQ=DAILY;BYHOUR=6"),
        ({"something": "else"}, "Unknown schedule"),
    ],
)  # fmt: skip
def test_a_schedule_is_described_in_words(schedule: dict[str, Any], words: str) -> None:
    assert describe_schedule(schedule) == words


def test_a_long_recurrence_rule_is_cut() -> None:
    rule = "FREQ=WEEKLY;BYDAY=" + ",".join(["MO", "TU", "WE", "TH", "FR"] * 5)
    words = describe_schedule({"rrule": rule})
    assert words.endswith("…") and len(words) == len("RRule ") + 60
    assert rule.startswith(words.removeprefix("RRule ").removesuffix("…"))


def test_schedules_are_summarised_active_first_with_the_inactive_counted() -> None:
    assert summarize_schedules([]) == "None"
    rows = [
        Schedule({"interval": 60}),
        Schedule({"cron": "* * * * *"}, active=False),
        Schedule({"cron": "0 * * * *"}),
        Schedule({"interval": 5}, active=False),
    ]
    assert summarize_schedules(rows) == "Every 1 min; Cron 0 * * * *; 2 inactive"
    assert summarize_schedules(rows[1:2]) == "1 inactive"


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ({"type": "integer"}, "integer"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"anyOf": [{"type": "integer"}, {"type": "null"}]}, "integer | null"),
        ({"type": "array", "items": {"type": "string"}}, "array of string"),
        ({"$ref": "#/definitions/Config"}, "Config"),
        ({"allOf": [{"$ref": "#/definitions/Mode"}]}, "Mode"),
        ({}, "any"),
    ],
)
def test_a_parameter_type_is_read_from_its_schema(spec: dict[str, Any], kind: str) -> None:
    assert type_of(spec) == kind


def test_parameters_come_in_signature_order_with_the_deployment_defaults() -> None:
    schema = {
        "type": "object",
        "properties": {
            "count": {"type": "integer", "position": 1, "default": 1},
            "greeting": {"type": "string", "position": 0, "description": "What to say"},
            "target": {"type": "string", "position": 2},
        },
        "required": ["greeting", "target"],
    }
    rows = parameter_rows(schema, {"greeting": "hi <b>", "extra": [1]})
    assert rows == [
        # Required by the schema, but the deployment gives a default: not required to run.
        ParameterRow("greeting", "string", False, '"hi <b>"', "What to say"),
        ParameterRow("count", "integer", False, "1", None),
        ParameterRow("target", "string", True, None, None),
        ParameterRow("extra", "any", False, "[1]", None),
    ]
    assert parameter_rows(None, {}) == []
