"""How deployment pages put a deployment's schedules and parameters into words.

Schedules are stored as the client sent them (`{"interval": seconds, ...}`, `{"cron": ...}`,
`{"rrule": ...}`, each with its time zone) and parameters come with an OpenAPI schema; a page
shows both as short text a person reads at a glance, never the raw JSON alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Protocol

from api.ui.formatting import duration

#: A recurrence rule longer than this is cut in a summary (the page shows it whole).
RRULE_SUMMARY_LENGTH: Final = 60


class ScheduleRow(Protocol):
    """A deployment schedule as stored: its JSON and whether it is active."""

    schedule: dict[str, Any]
    active: bool


def describe_schedule(schedule: Mapping[str, Any]) -> str:
    """One schedule in words: `Every 1 h`, `Cron 0 9 * * 1-5 (Europe/Paris)`, `RRule …`."""
    zone = schedule.get("timezone")
    suffix = f" ({zone})" if zone and zone != "UTC" else ""
    if "interval" in schedule:
        return f"Every {duration(float(schedule['interval']))}{suffix}"
    if "cron" in schedule:
        # day_or false: a day must match both the day-of-month and the day-of-week fields.
        both_days = "" if schedule.get("day_or", True) else ", days AND weekdays"
        return f"Cron {schedule['cron']}{suffix}{both_days}"
    if "rrule" in schedule:
        rule = str(schedule["rrule"])
        if len(rule) > RRULE_SUMMARY_LENGTH:
            rule = rule[: RRULE_SUMMARY_LENGTH - 1] + "…"
        return f"RRule {rule}{suffix}"
    return "Unknown schedule"


def summarize_schedules(schedules: Iterable[ScheduleRow]) -> str:
    """A deployment's schedules in one cell: the active ones, and how many are off."""
    rows = list(schedules)
    if not rows:
        return "None"
    active = [describe_schedule(row.schedule) for row in rows if row.active]
    inactive = len(rows) - len(active)
    parts = list(active)
    if inactive:
        parts.append(f"{inactive} inactive")
    return "; ".join(parts)


@dataclass(frozen=True)
class ParameterRow:
    """One parameter of a deployment's flow, as its page lists it."""

    name: str
    type: str
    required: bool
    default: str | None
    description: str | None


def type_of(spec: Mapping[str, Any]) -> str:
    """A parameter's type as the schema gives it: `integer`, `string | null`, `array of …`."""
    if "$ref" in spec:
        return str(spec["$ref"]).rsplit("/", 1)[-1]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in spec:
            return " | ".join(type_of(part) for part in spec[combined])
    kind = spec.get("type")
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    if kind == "array" and isinstance(spec.get("items"), Mapping):
        return f"array of {type_of(spec['items'])}"
    if kind is None:
        return "any"
    return str(kind)


def parameter_rows(
    schema: Mapping[str, Any] | None, defaults: Mapping[str, Any]
) -> list[ParameterRow]:
    """The parameters a deployment takes: from its schema in the schema's order, then any
    default the schema does not name. Defaults are the deployment's own over the schema's."""
    properties: Mapping[str, Any] = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or [])
    rows = []
    for name, spec in sorted(properties.items(), key=lambda item: position(item[1])):
        spec = spec if isinstance(spec, Mapping) else {}
        default: str | None = None
        if name in defaults:
            default = as_json(defaults[name])
        elif "default" in spec:
            default = as_json(spec["default"])
        rows.append(
            ParameterRow(
                name=name,
                type=type_of(spec),
                required=name in required and name not in defaults,
                default=default,
                description=spec.get("description"),
            )
        )
    for name, value in defaults.items():
        if name not in properties:
            rows.append(ParameterRow(name, "any", False, as_json(value), None))
    return rows


def position(spec: Any) -> int:
    """Prefect numbers the parameters in the flow's signature order."""
    if isinstance(spec, Mapping) and isinstance(spec.get("position"), int):
        return int(spec["position"])
    return 0


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
