"""Notification message templates: Prefect 2's placeholders, checked when saved, rendered readably.

A template is Python `str.format` text with single braces. Only the eleven placeholders
below may appear, and only by name: `{flow_run_name.__class__}` or `{0}` is refused when
the notification policy is saved, so rendering can never fail or reach into an object.
Every value is text already (state types as `FAILED`, parameters as JSON, timestamps in
ISO 8601), unlike Prefect 2, which printed `StateType.FAILED` and Python dict reprs.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from uuid import UUID

#: The placeholders a message template may use (Prefect 2's list).
PLACEHOLDERS: Final = frozenset(
    {
        "flow_run_notification_policy_id",
        "flow_id",
        "flow_name",
        "flow_run_url",
        "flow_run_id",
        "flow_run_name",
        "flow_run_parameters",
        "flow_run_state_type",
        "flow_run_state_name",
        "flow_run_state_timestamp",
        "flow_run_state_message",
    }
)

#: The message when a notification policy has no template of its own (Prefect 2's, without
#: its leading blank line).
DEFAULT_MESSAGE_TEMPLATE: Final = (
    "Flow run {flow_name}/{flow_run_name} entered state `{flow_run_state_name}` at "
    "{flow_run_state_timestamp}.\n"
    "\n"
    "Flow ID: {flow_id}\n"
    "Flow run ID: {flow_run_id}\n"
    "Flow run URL: {flow_run_url}\n"
    "State message: {flow_run_state_message}"
)

#: The widest field and the longest precision a template may ask for, in characters. A
#: width is for lining text up; `{flow_name:>5000000}` sent 10 MB a delivery, and a width
#: of 2**62 could not be rendered at all.
MAX_FIELD_WIDTH: Final = 1000
#: Characters of a rendered message that are sent; the rest is cut with a visible marker.
MAX_RENDERED_MESSAGE_CHARS: Final = 100_000

#: A standard format spec: [[fill]align][sign][z][#][0][width][grouping][.precision][type].
FORMAT_SPEC: Final = re.compile(
    r"(?P<head>(?:.?[<>=^])?[-+ ]?z?#?0?)(?P<width>\d*)(?P<grouping>[,_]?)"
    r"(?:\.(?P<precision>\d*))?(?P<type>[a-zA-Z%]?)",
    re.DOTALL,
)

#: The subject line: Slack's header, the e-mail subject, the Opsgenie and PagerDuty summary.
SUBJECT_TEMPLATE: Final = "Flow run {flow_name}/{flow_run_name} entered {flow_run_state_name}"


def validate_message_template(template: str) -> str:
    """The template unchanged, or ValueError naming what is wrong with it."""
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ValueError(f"Invalid template: {error}") from None
    for _, field, spec, _ in fields:
        if field is None:
            continue
        if field not in PLACEHOLDERS:
            raise ValueError(f"Invalid template variable provided: '{field}'")
        if spec and "{" in spec:
            raise ValueError(f"Invalid template variable provided: '{spec}'")
        if spec and bounded_spec(spec) != spec:
            raise ValueError(
                f"Invalid template: the width or precision of '{{{field}:{spec}}}' is over "
                f"{MAX_FIELD_WIDTH} characters"
            )
    try:  # every value is text, so a format spec that suits one text suits them all
        template.format_map(dict.fromkeys(PLACEHOLDERS, "text"))
    except (ValueError, TypeError) as error:
        raise ValueError(f"Invalid template: {error}") from None
    return template


def flow_run_url(ui_url: str, flow_run_id: UUID) -> str:
    """Where people open the flow run in the UI."""
    return f"{ui_url.rstrip('/')}/runs/flow-run/{flow_run_id}"


def readable_parameters(parameters: Mapping[str, Any] | None) -> str:
    """Parameters as JSON (`{"x": 7}`), which people and Markdown both read well."""
    return json.dumps(dict(parameters or {}), default=str, ensure_ascii=False)


def template_values(
    *,
    policy_id: UUID,
    flow_id: UUID,
    flow_name: str,
    flow_run_id: UUID,
    flow_run_name: str,
    parameters: Mapping[str, Any] | None,
    state_type: str,
    state_name: str,
    state_timestamp: datetime,
    state_message: str | None,
    ui_url: str,
) -> dict[str, str]:
    """The text of every placeholder for one flow-run state."""
    return {
        "flow_run_notification_policy_id": str(policy_id),
        "flow_id": str(flow_id),
        "flow_name": flow_name,
        "flow_run_url": flow_run_url(ui_url, flow_run_id),
        "flow_run_id": str(flow_run_id),
        "flow_run_name": flow_run_name,
        "flow_run_parameters": readable_parameters(parameters),
        "flow_run_state_type": str(state_type),
        "flow_run_state_name": state_name,
        "flow_run_state_timestamp": state_timestamp.isoformat(),
        "flow_run_state_message": state_message or "",
    }


def bounded_spec(spec: str) -> str:
    """The format spec with its width and precision at most MAX_FIELD_WIDTH."""
    parts = FORMAT_SPEC.fullmatch(spec)
    if parts is None:  # not a spec `str.format` takes: formatting says what is wrong
        return spec
    width, precision = parts["width"], parts["precision"]
    if width and int(width) > MAX_FIELD_WIDTH:
        width = str(MAX_FIELD_WIDTH)
    if precision and int(precision) > MAX_FIELD_WIDTH:
        precision = str(MAX_FIELD_WIDTH)
    dot = "" if parts["precision"] is None else "."
    return f"{parts['head']}{width}{parts['grouping']}{dot}{precision or ''}{parts['type']}"


class BoundedFormatter(string.Formatter):
    """`str.format` with every width and precision at most MAX_FIELD_WIDTH.

    Templates are checked when saved; this bounds one saved before that check, too.
    """

    def format_field(self, value: object, format_spec: str) -> str:
        return format(value, bounded_spec(format_spec))


def render_message(template: str | None, values: Mapping[str, str]) -> str:
    """The policy's template (or the default) with the placeholders filled in, at most
    MAX_RENDERED_MESSAGE_CHARS long."""
    rendered = BoundedFormatter().vformat(template or DEFAULT_MESSAGE_TEMPLATE, (), values)
    return truncate(rendered, MAX_RENDERED_MESSAGE_CHARS)


def render_subject(values: Mapping[str, str]) -> str:
    return SUBJECT_TEMPLATE.format_map(values)


def truncate(text: str, limit: int, marker: str = " … [truncated]") -> str:
    """`text` cut to at most `limit` characters, ending with a visible marker when cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))] + marker[:limit]
