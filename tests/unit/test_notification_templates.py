"""Message templates: Prefect 2's placeholders only, checked when saved, rendered readably."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from models.notifications.templates import (
    DEFAULT_MESSAGE_TEMPLATE,
    MAX_RENDERED_MESSAGE_CHARS,
    bounded_spec,
    render_message,
    render_subject,
    template_values,
    truncate,
    validate_message_template,
)

RUN_ID = UUID("ab5ab0c8-0000-4000-8000-000000000001")

VALUES = template_values(
    policy_id=UUID("5f893de6-0000-4000-8000-000000000002"),
    flow_id=UUID("47321edd-0000-4000-8000-000000000003"),
    flow_name="bench-notify-flow",
    flow_run_id=RUN_ID,
    flow_run_name="aquatic-cockatoo",
    parameters={"x": 7, "fail": True},
    state_type="FAILED",
    state_name="Failed",
    state_timestamp=datetime(2026, 11, 25, 18, 23, 26, 530807, tzinfo=UTC),
    state_message=None,
    ui_url="https://signalbox.example.com/",
)


def test_the_default_template_reads_like_prefects_without_its_reprs() -> None:
    message = render_message(None, VALUES)
    assert message.startswith(
        "Flow run bench-notify-flow/aquatic-cockatoo entered state `Failed` at "
        "2026-11-25T18:23:26.530807+00:00."
    )
    assert f"Flow run URL: https://signalbox.example.com/runs/flow-run/{RUN_ID}" in message
    assert message.endswith("State message: ")  # a missing message is empty, not "None"
    assert render_message(None, VALUES) == render_message(DEFAULT_MESSAGE_TEMPLATE, VALUES)


def test_state_types_and_parameters_are_readable() -> None:
    message = render_message("{flow_run_state_type} {flow_run_parameters}", VALUES)
    assert message == 'FAILED {"x": 7, "fail": true}'


def test_the_subject_names_the_run_and_the_state() -> None:
    assert render_subject(VALUES) == "Flow run bench-notify-flow/aquatic-cockatoo entered Failed"


@pytest.mark.parametrize(
    "template",
    [
        "{nope}",
        "{flow_name.__class__}",
        "{flow_run_parameters[x]}",
        "{0}",
        "{}",
        "{flow_name:{flow_id}}",
        "{flow_name",
        "{flow_run_id:d}",
    ],
)
def test_a_template_that_could_fail_or_reach_into_objects_is_refused(template: str) -> None:
    with pytest.raises(ValueError, match="Invalid template"):
        validate_message_template(template)


def test_the_error_names_the_unknown_placeholder_as_prefect_does() -> None:
    with pytest.raises(ValueError, match="Invalid template variable provided: 'nope'"):
        validate_message_template("Hello {nope}")


def test_every_placeholder_and_format_specs_are_accepted() -> None:
    template = " ".join(f"{{{name}}}" for name in VALUES) + " {flow_name:>30} {{literal}}"
    assert validate_message_template(template) == template
    assert "{literal}" in render_message(template, VALUES)


def test_truncation_keeps_the_limit_and_shows_a_marker() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 100, 40)
    assert len(cut) == 40 and cut.endswith("[truncated]")


@pytest.mark.parametrize(
    ("spec", "bounded"),
    [
        (">5000000", ">1000"),
        (f".{2**62}", ".1000"),
        ("0>1001.2s", "0>1000.2s"),
        ("*^20", "*^20"),
        ("<10.5s", "<10.5s"),
        ("9>12", "9>12"),
    ],
)
def test_widths_and_precisions_are_bounded_and_the_rest_of_the_spec_kept(
    spec: str, bounded: str
) -> None:
    assert bounded_spec(spec) == bounded


def test_a_rendered_message_is_cut_at_the_limit_with_a_marker() -> None:
    long_values = VALUES | {"flow_run_parameters": "p" * (MAX_RENDERED_MESSAGE_CHARS * 2)}
    rendered = render_message("{flow_run_parameters}", long_values)
    assert len(rendered) == MAX_RENDERED_MESSAGE_CHARS and rendered.endswith("[truncated]")
